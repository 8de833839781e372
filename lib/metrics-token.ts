import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * METRICS_TOKEN, when set, guards the API's and the worker's /metrics: Prometheus sends it as
 * `Authorization: Bearer <token>` (its `authorization` scrape setting). Unset, /metrics is open,
 * for a network where only the scraper reaches those ports.
 */
export function metricsAuthorized(token: string | undefined, authorization: string | undefined | null): boolean {
  if (!token) return true;
  const given = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
  // Hashes of equal length, so the comparison takes the same time whatever was sent.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}
