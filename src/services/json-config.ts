// Configuration kept as one validated JSON document in the settings table (the health scorecard,
// the detection rules): read with a default, replaced as a whole by an admin, audited.
import type { z } from 'zod';
import { AppError } from '../domain/errors';
import { assertCan, type Actor } from '../domain/policy';
import { AuditRepository } from '../store/audit.repository';
import { RiskConfigRepository } from '../store/risk-config.repository';
import { inTransaction, type ServiceContext } from './context';

/** A zod failure as VALIDATION_FAILED, naming the first field (`measures.0.weight: …`). */
export function validationFailed(error: z.ZodError, what: string): AppError {
  const issue = error.issues[0];
  return new AppError(
    'VALIDATION_FAILED',
    `${issue?.path.join('.') || what}: ${issue?.message ?? `invalid ${what}`}`,
    {
      issues: error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    },
  );
}

export class JsonConfig<T> {
  constructor(
    private readonly context: ServiceContext,
    private readonly key: string,
    private readonly schema: z.ZodType<T>,
    private readonly fallback: T,
  ) {}

  /** The stored document, or the default when none is stored (or it no longer validates). */
  async read(): Promise<T> {
    const stored = (await new RiskConfigRepository(this.context.store.db).readSettings())[this.key];
    if (stored === undefined) return this.fallback;
    const parsed = this.schema.safeParse(stored);
    return parsed.success ? parsed.data : this.fallback;
  }

  /** Validates and stores a new document; `check` adds rules the schema cannot know. */
  async replace(actor: Actor, input: unknown, check?: (value: T) => Promise<void>): Promise<T> {
    assertCan(actor, 'config.write');
    const parsed = this.schema.safeParse(input);
    if (!parsed.success) throw validationFailed(parsed.error, this.key);
    await check?.(parsed.data);
    const before = await this.read();
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      await new RiskConfigRepository(db).writeSettings({ [this.key]: parsed.data }, now);
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'settings',
          entityId: this.key,
          accountId: null,
          action: 'updated',
          changes: { [this.key]: { from: before, to: parsed.data } },
        },
      ]);
    });
    return parsed.data;
  }
}
