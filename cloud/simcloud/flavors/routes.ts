import { body, noContent, parse, type Handler, type Op, type SimApp, type SimContext } from '../kernel/http';
import { requireCredentials, type Credentials } from './credentials';
import type { Flavors } from './flavors';
import { createRegionFlavorBody } from './schema';

/** Each region's compute service: `/regions/{region}/...`, behind HTTP Basic. */
export function flavorRoutes(app: SimApp, op: Op, flavors: Flavors, credentials: Credentials): void {
  const region = (c: SimContext) => c.req.param('region') ?? '';
  const authenticated = requireCredentials(credentials);
  /** Unknown region → 404 (no such service), then credentials, then the handler. */
  const service = (handler: Handler): Handler => {
    const guarded = authenticated(handler);
    return (c) => {
      flavors.requireRegion(region(c));
      return guarded(c);
    };
  };

  app.get('/regions/:region/auth', op('verifyCredentials', 'flavor', service(noContent), region));
  app.get('/regions/:region/flavors', op('listFlavors', 'flavor', service((c) => c.json({ flavors: flavors.list(region(c)) })), region));
  app.post(
    '/regions/:region/flavors',
    op(
      'createFlavor',
      'flavor',
      service(async (c) => {
        const { flavor, created } = await flavors.create(region(c), parse(createRegionFlavorBody, await body(c)));
        return c.json(flavor, created ? 201 : 200);
      }),
      region,
    ),
  );
  app.get('/regions/:region/flavors/:id', op('getFlavor', 'flavor', service((c) => c.json(flavors.get(region(c), c.req.param('id') ?? ''))), region));
  app.delete(
    '/regions/:region/flavors/:id',
    op(
      'deleteFlavor',
      'flavor',
      service(async (c) => {
        await flavors.delete(region(c), c.req.param('id') ?? '');
        return noContent(c);
      }),
      region,
    ),
  );
}
