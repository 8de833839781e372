import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes registered on the Temporal server; filter the Web UI by them. */
export const RESOURCE_TYPE = defineSearchAttributeKey('ResourceType', SearchAttributeType.KEYWORD);
export const RESOURCE_ID = defineSearchAttributeKey('ResourceId', SearchAttributeType.KEYWORD);
export const PROJECT_ID = defineSearchAttributeKey('ProjectId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_NAMES = ['ResourceType', 'ResourceId', 'ProjectId'] as const;
