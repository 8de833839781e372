import { z } from '@hono/zod-openapi';
import { json } from '../openapi-helpers';
import { KahuErrorSchema, MessageSchema } from './schemas';

export { json };

/** Kahu bodies come as urlencoded or multipart forms. */
export function formBody<T extends z.ZodType>(schema: T) {
  return {
    required: true,
    content: {
      'application/x-www-form-urlencoded': { schema },
      'multipart/form-data': { schema },
    },
  };
}

const err = (description: string) => json(KahuErrorSchema, description);

export const kahuErrors = {
  400: err('Bad input (the message names the field) or a state that forbids the action'),
  401: err('Not logged in'),
  404: err('No such instance, volume or snapshot in this tenant'),
  409: err('Another operation is running on the instance, a name is taken, or no capacity'),
} as const;

export const accepted = json(
  MessageSchema.extend({ operation: z.string() }),
  'Still in progress after the wait bound (or Prefer: respond-async): follow the operation link',
);

export const TenantParam = z.object({ tenant: z.string().optional() });
