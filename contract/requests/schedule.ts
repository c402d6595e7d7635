/**
 * PUT …/aimodels/{id}/schedule: cron windows in an IANA time zone and an idle timeout.
 * functions/domain/schedule.ts checks what a schema cannot (the cron parses, the zone exists,
 * replicas fit the node group, no two windows contradict each other).
 */
import * as z from 'zod';
import { integer, replicaBound } from './fields';

export const MAX_WINDOWS = 16;

export const scheduleSchema = z
  .object({
    // UTC when left out, as EventBridge Scheduler does: an idle timeout alone needs no zone.
    time_zone: z
      .string({ error: 'time_zone must be an IANA time zone such as Europe/Berlin' })
      .max(64, { error: 'time_zone is too long' })
      .default('UTC')
      .describe('IANA time zone of the windows\' cron expressions; UTC when left out.'),
    windows: z
      .array(
        z
          .object({
            cron: z.string({ error: 'cron must be a 5-field cron expression' }).max(100, { error: 'cron is too long' }),
            replicas: replicaBound('replicas', 0),
          })
          .strict(),
        { error: 'windows must be an array of {cron, replicas}' },
      )
      .max(MAX_WINDOWS, { error: `windows may hold at most ${MAX_WINDOWS} entries` })
      .default([]),
    idle_timeout_minutes: integer('idle_timeout_minutes')
      .min(1, { error: 'idle_timeout_minutes must be between 1 and 10080 (a week)' })
      .max(10_080, { error: 'idle_timeout_minutes must be between 1 and 10080 (a week)' })
      .nullable()
      .default(null),
  })
  .strict();

export type Schedule = z.infer<typeof scheduleSchema>;
export type ScheduleWindow = Schedule['windows'][number];
