import { z } from '@hono/zod-openapi';

/** An OpenAPI response whose body is JSON of the given schema. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
