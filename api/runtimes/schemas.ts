import { z } from 'zod';
import { splitRequirements } from '../../db/runtimes';

/** The seed's request body (`FAAS` required, `DAAS` optional; `DAAS: {"FLAVOUR": ""}` means no DaaS). */
const capacity = (max: number) => z.number().int().min(1).max(max);

const functionSpec = (flavour: z.ZodString) =>
  z.object({
    FLAVOUR: flavour,
    CPU: capacity(1024).optional(),
    MEMORY: capacity(4 * 1024 * 1024).optional(),
    DISK_SIZE: capacity(1024 * 1024 * 1024).optional(),
  });

export const SchedulingSpec = z.object({
  POLICY: z.string().max(256).optional(),
  REQUIREMENTS: z
    .string()
    .max(1024)
    .optional()
    .superRefine((value, ctx) => {
      try {
        splitRequirements(value ?? '');
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `expected KEY=VALUE terms joined by &: ${(err as Error).message}` });
      }
    }),
});

export const DeviceInfoSpec = z.object({
  LATENCY_TO_PE: z.number().min(0).optional(),
  GEOGRAPHIC_LOCATION: z.string().max(256).optional(),
});

export const RuntimeSpec = z.object({
  NAME: z.string().min(1).max(128).optional(),
  FAAS: functionSpec(z.string().min(1).max(128)),
  DAAS: functionSpec(z.string().max(128)).optional(),
  SCHEDULING: SchedulingSpec.optional(),
  DEVICE_INFO: DeviceInfoSpec.optional(),
});

export const RuntimeBody = z.object({ SERVERLESS_RUNTIME: RuntimeSpec });

export type RuntimeSpecInput = z.infer<typeof RuntimeSpec>;
export type FunctionSpecInput = z.infer<typeof RuntimeSpec>['FAAS'];

/** JSON Schema of the body, served at /serverless-runtimes/schema and shown in /openapi.json. */
export const runtimeJsonSchema = z.toJSONSchema(RuntimeBody, { target: 'draft-2020-12' }) as Record<string, unknown>;

/** A service template as admins write it. */
const roleTemplate = z.object({
  CPU: capacity(1024).optional(),
  MEMORY: capacity(4 * 1024 * 1024).optional(),
  DISK_SIZE: capacity(1024 * 1024 * 1024).optional(),
});
export const TemplateBody = z.object({
  description: z.string().max(1024).optional(),
  roles: z.object({ FAAS: roleTemplate, DAAS: roleTemplate.optional() }),
});
