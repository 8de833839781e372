import { z } from 'zod';

/**
 * Load metrics of VMs and pods. Values are set through the chaos API (`POST /_chaos/load`), so
 * autoscalers can be driven deterministically; an unset metric reads 0.
 *
 * - `cpu`: CPU use in percent of the object's vCPUs (0–100).
 * - `capacity`: NUBOMEDIA "consumed capacity" points of a media server (100 points per vCPU).
 */
export const metricNames = ['cpu', 'capacity'] as const;

export const setLoadBody = z.object({
  /** A VM or pod id. */
  target: z.string().min(1).max(128),
  metric: z.enum(metricNames),
  value: z.number().min(0).max(1_000_000),
});

export const metricsQuery = z.object({
  /** Repeat `target=` for several objects (or give them comma-separated). */
  target: z
    .union([z.string(), z.array(z.string())])
    .transform((t) => (Array.isArray(t) ? t : [t]).flatMap((s) => s.split(',')).filter(Boolean)),
});

export const metricValuesSchema = z.record(z.enum(metricNames), z.number());
export const metricsSchema = z.object({ metrics: z.record(z.string(), metricValuesSchema) });
