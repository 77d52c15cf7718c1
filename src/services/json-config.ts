// Configuration kept as one validated JSON document in the settings table (the health scorecard,
// the detection rules): read with a default, replaced as a whole by an admin, audited.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { AppError } from '../domain/errors';
import { assertCan, type Actor } from '../domain/policy';
import { AuditRepository } from '../store/audit.repository';
import { RiskConfigRepository } from '../store/risk-config.repository';
import type { Database } from '../store/schema';
import { inTransaction, type ServiceContext } from './context';

/**
 * A configuration document's revision: a digest of what it holds, sent as the ETag of the read
 * and expected back as If-Match with a change, so that a save made over someone else's is refused
 * instead of undoing it.
 */
export function revisionOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 22);
}

/** A document with its revision. */
export interface Revised<T> {
  value: T;
  revision: string;
}

/** Refuses a change made against an older revision of a document, naming what it is. */
export function checkRevision(what: string, current: unknown, expected: readonly string[] | undefined): void {
  if (expected === undefined) return;
  const revision = revisionOf(current);
  if (!expected.includes(revision))
    throw new AppError(
      'PRECONDITION_FAILED',
      `Someone else saved the ${what} after you opened it. Reload and make your change again on what is there now.`,
      { revision, current },
    );
}

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
    /** How a person names the document, in a conflict message ("detection rules"). */
    private readonly label: string = key,
  ) {}

  /** The stored document, or the default when none is stored (or it no longer validates). */
  read(): Promise<T> {
    return this.readFrom(this.context.store.db);
  }

  /** The document with its revision (the ETag of a read). */
  async readRevised(): Promise<Revised<T>> {
    const value = await this.read();
    return { value, revision: revisionOf(value) };
  }

  private async readFrom(db: Kysely<Database>): Promise<T> {
    const stored = (await new RiskConfigRepository(db).readSettings())[this.key];
    if (stored === undefined) return this.fallback;
    const parsed = this.schema.safeParse(stored);
    return parsed.success ? parsed.data : this.fallback;
  }

  /**
   * Validates and stores a new document; `check` adds rules the schema cannot know. With
   * `expectedRevision` (If-Match), a document someone else changed since is refused with
   * PRECONDITION_FAILED and left as it is.
   */
  async replace(
    actor: Actor,
    input: unknown,
    check?: (value: T) => Promise<void>,
    expectedRevision?: readonly string[],
  ): Promise<T> {
    assertCan(actor, 'config.write');
    const parsed = this.schema.safeParse(input);
    if (!parsed.success) throw validationFailed(parsed.error, this.key);
    await check?.(parsed.data);
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      const repo = new RiskConfigRepository(db);
      await repo.lockSettings(this.context.store.kind === 'postgres');
      const before = await this.readFrom(db);
      checkRevision(this.label, before, expectedRevision);
      await repo.writeSettings({ [this.key]: parsed.data }, now);
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
