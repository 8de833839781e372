import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HttpError, type ErrorRenderer } from '../errors';
import { send } from './representation';

/** The blueprint's plain-text answers to a bad token (401) and to a reader trying to write (405). */
export const UNAUTHORIZED_TEXT = 'Could not verify your access level for that URL. You have to login with proper token';
export const NOT_ALLOWED_TEXT = 'The method specified in the Request-Line is not allowed for the resource identified by the Request-URI.';

const PLAIN_TEXT_CODES = new Set(['unauthorized', 'not_allowed']);

export const flavorError = (status: ContentfulStatusCode, message: string, headers?: Record<string, string>) =>
  new HttpError(status, 'flavor_sync', message, undefined, headers);

/** A write by a caller without the InfrastructureManager role: they may still read (hence Allow). */
export const notAllowed = () => new HttpError(405, 'not_allowed', NOT_ALLOWED_TEXT, undefined, { Allow: 'GET, HEAD' });

export const flavorNotFound = (id: string) => flavorError(404, `The flavor ${id} does not exist`);
export const regionNotFound = (region: string) => flavorError(404, `The region ${region} does not exist (it is not a registered infrastructure)`);

/** `{"error":{"message"}}` or `<error><message/></error>`, as the client asked; 401 and role 405s in plain text. */
export const renderFlavorError: ErrorRenderer = (c, err) =>
  PLAIN_TEXT_CODES.has(err.code) ? c.text(err.message, err.status, err.headers) : send(c, err.status, { error: { message: err.message } }, err.headers);
