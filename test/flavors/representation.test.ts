import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../api/errors';
import { responseFormat } from '../../api/flavors/representation';
import { nextFlags, PRIVATE } from '../../api/flavors/rules';

/** Pure pieces of the flavor-sync surface: content negotiation and the publish/promote rules. */

async function formatFor(headers: Record<string, string>): Promise<string> {
  const app = new Hono().get('/', (c) => c.text(responseFormat(c)));
  return (await app.request('/', { headers })).text();
}

describe('content negotiation', () => {
  it.each([
    [{}, 'json'],
    [{ accept: 'application/xml' }, 'xml'],
    [{ accept: 'text/xml' }, 'xml'],
    [{ accept: 'application/json' }, 'json'],
    [{ accept: 'application/xml;q=0.5, application/json' }, 'json'],
    [{ accept: 'application/json;q=0.2, application/xml;q=0.9' }, 'xml'],
    [{ accept: '*/*', 'content-type': 'application/xml' }, 'xml'],
    [{ 'content-type': 'application/xml; charset=utf-8' }, 'xml'],
    [{ accept: 'text/html', 'content-type': 'application/json' }, 'json'],
    [{ accept: 'application/*;q=0.8, application/xml' }, 'xml'],
  ] as const)('%o answers %s', async (headers, expected) => {
    expect(await formatFor(headers)).toBe(expected);
  });
});

describe('publish and promote', () => {
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err instanceof HttpError ? [err.status, err.message] : err;
    }
    return undefined;
  };

  it('goes private → public → promoted, and never back', () => {
    expect(nextFlags(PRIVATE, {})).toEqual(PRIVATE);
    expect(nextFlags(PRIVATE, { public: true })).toEqual({ public: true, promoted: false });
    expect(nextFlags(PRIVATE, { public: true, promoted: true })).toEqual({ public: true, promoted: true });
    expect(nextFlags({ public: true, promoted: false }, { promoted: true })).toEqual({ public: true, promoted: true });
    expect(nextFlags({ public: true, promoted: true }, { public: true, promoted: true })).toEqual({ public: true, promoted: true });
    expect(refusal(() => nextFlags(PRIVATE, { promoted: true }))).toEqual([400, expect.stringMatching(/must be public to be promoted/)]);
    expect(refusal(() => nextFlags(PRIVATE, { promoted: true, public: false }))).toEqual([400, 'A flavor cannot be promoted and private']);
    expect(refusal(() => nextFlags({ public: true, promoted: false }, { public: false }))).toEqual([409, 'A flavor cannot be unpublished or unpromoted']);
    expect(refusal(() => nextFlags({ public: true, promoted: true }, { promoted: false }))).toEqual([409, 'A flavor cannot be unpublished or unpromoted']);
  });
});
