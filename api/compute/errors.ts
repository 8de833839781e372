import type { ErrorRenderer } from '../errors';

/** Kahu answers errors as `{ error, message }`, like its success messages. */
export const renderKahuError: ErrorRenderer = (c, err) =>
  c.json({ error: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) }, err.status, err.headers);
