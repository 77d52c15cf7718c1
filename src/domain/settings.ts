// Tunable settings of the risk process, stored as data and editable by admins.
import { z } from 'zod';
import { isAllowlistEntry } from './outbound';
import { LOCALE_TAGS, valueLocale } from './values';

export const settingsSchema = z.object({
  /** A case whose last weekly update is older than this is overdue. */
  updateOverdueDays: z.number().int().min(1).max(90),
  /** Cases with a lifetime value under this go to the digital track. */
  digitalLtvThreshold: z.number().min(0),
  /** Expected remaining customer lifetime used to derive LTV from ARR. */
  expectedLifetimeYears: z.number().min(0.1).max(50),
  priorityWeights: z.object({
    arrAtRisk: z.number().min(0),
    ltv: z.number().min(0),
    timeInStage: z.number().min(0),
  }),
  /** A case a CSM closed stays closed this long unless a new, different reason is detected. */
  detectionQuietDays: z.number().int().min(0).max(365),
  /**
   * A case detection opened, that nobody has moved on from its first stage, closes as recovered once
   * every sign behind it has been clear this many days (0: never).
   */
  detectionRecoveryDays: z.number().int().min(0).max(365),
  /** The hour (UTC) after which the daily re-scoring and detection run starts. */
  dailyRunHourUtc: z.number().int().min(0).max(23),
  /** The yearly share of ARR the team accepts to lose (gross revenue churn target), in percent. */
  annualAttritionTargetPercent: z.number().min(0).max(100),
  /** How long a login session lasts without activity. */
  sessionIdleHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30),
  /**
   * Internal hosts plays may send webhooks to: host names (exact) or IP addresses and CIDR ranges.
   * Everything else on Retain's own network is refused; cloud metadata addresses always are.
   */
  outboundAllowlist: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .max(253)
        .refine(isAllowlistEntry, 'a host name, an IP address or a CIDR range such as 10.0.0.0/8'),
    )
    .max(200),
  /**
   * How the team's CSV files write numbers and dates (`en-US`, `de-DE` …), for imports that do not
   * say; null: a value that reads two ways is refused.
   */
  importLocale: z
    .string()
    .nullable()
    .refine((tag) => tag === null || valueLocale(tag) !== null, `one of ${LOCALE_TAGS.join(', ')}, or null`),
});

export type RetainSettings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: RetainSettings = {
  updateOverdueDays: 7,
  digitalLtvThreshold: 10_000,
  expectedLifetimeYears: 3,
  priorityWeights: { arrAtRisk: 0.5, ltv: 0.3, timeInStage: 0.2 },
  sessionIdleHours: 12,
  detectionQuietDays: 30,
  detectionRecoveryDays: 14,
  dailyRunHourUtc: 2,
  annualAttritionTargetPercent: 10,
  outboundAllowlist: [],
  importLocale: null,
};

/** Whether a case's weekly update is overdue at `now`. A case never updated counts from when it opened. */
export function isUpdateOverdue(
  lastUpdateAt: Date | null,
  openedAt: Date,
  now: Date,
  overdueDays: number,
): boolean {
  const since = lastUpdateAt ?? openedAt;
  return now.getTime() - since.getTime() > overdueDays * 86_400_000;
}
