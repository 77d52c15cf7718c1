// The audit log: an append-only record of every change, with actor and time.
import type { Kysely } from 'kysely';
import type { Actor } from '../domain/policy';
import { parseJsonObject } from './json';
import type { AuditRow, Database } from './schema';

export interface AuditEntry {
  id: number;
  at: string;
  actorId: number | null;
  actor: string;
  entityType: string;
  entityId: string;
  accountId: number | null;
  action: string;
  changes: Record<string, unknown>;
}

/** What a change feed tells: which entity changed, how and by whom, without the changed values. */
export type ChangeEntry = Omit<AuditEntry, 'actorId' | 'changes'>;

export interface NewAuditEntry {
  entityType: string;
  entityId: string | number;
  accountId: number | null;
  action: string;
  changes: Record<string, unknown>;
}

export class AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async append(actor: Actor, at: Date, entries: readonly NewAuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows: AuditRow[] = entries.map((entry) => ({
      at: at.toISOString(),
      actor_id: actor.userId,
      actor_label: actor.label,
      entity_type: entry.entityType,
      entity_id: String(entry.entityId),
      account_id: entry.accountId,
      action: entry.action,
      changes: JSON.stringify(entry.changes),
    }));
    await this.db.insertInto('audit_log').values(rows).execute();
  }

  /** Appends entries that each carry their own time and actor, e.g. generated history. */
  async appendDated(entries: readonly (NewAuditEntry & { at: Date; actor: Actor })[]): Promise<void> {
    for (let start = 0; start < entries.length; start += 500) {
      const rows: AuditRow[] = entries.slice(start, start + 500).map((entry) => ({
        at: entry.at.toISOString(),
        actor_id: entry.actor.userId,
        actor_label: entry.actor.label,
        entity_type: entry.entityType,
        entity_id: String(entry.entityId),
        account_id: entry.accountId,
        action: entry.action,
        changes: JSON.stringify(entry.changes),
      }));
      await this.db.insertInto('audit_log').values(rows).execute();
    }
  }

  /** The timeline of one account, newest first. */
  /** Replaces what every entry about the account recorded with a tombstone; returns how many. */
  async scrubAccount(accountId: number): Promise<number> {
    const result = await this.db
      .updateTable('audit_log')
      .set({ changes: JSON.stringify({ erased: true }) })
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async timelineOfAccount(accountId: number, limit: number, before?: number): Promise<AuditEntry[]> {
    let query = this.db.selectFrom('audit_log').selectAll().where('account_id', '=', accountId);
    if (before !== undefined) query = query.where('id', '<', before);
    const rows = await query.orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toEntry);
  }

  /** The newest entry's id, or 0 for an empty log: where a change feed starts. */
  async latestId(): Promise<number> {
    const row = await this.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  /** Entries after `afterId` (oldest first, at most `limit`), plus any of `alsoIds` now visible. */
  async changesAfter(
    afterId: number,
    limit: number,
    alsoIds: readonly number[] = [],
  ): Promise<ChangeEntry[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .select(['id', 'at', 'actor_label', 'entity_type', 'entity_id', 'account_id', 'action'])
      .where((eb) =>
        alsoIds.length > 0
          ? eb.or([eb('id', '>', afterId), eb('id', 'in', alsoIds)])
          : eb('id', '>', afterId),
      )
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      actor: row.actor_label,
      entityType: row.entity_type,
      entityId: row.entity_id,
      accountId: row.account_id,
      action: row.action,
    }));
  }

  /** Every entry about one entity, oldest first. */
  async historyOfEntity(entityType: string, entityId: string | number): Promise<AuditEntry[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('entity_type', '=', entityType)
      .where('entity_id', '=', String(entityId))
      .orderBy('id', 'asc')
      .execute();
    return rows.map(toEntry);
  }
}

function toEntry(row: {
  id: number;
  at: string;
  actor_id: number | null;
  actor_label: string;
  entity_type: string;
  entity_id: string;
  account_id: number | null;
  action: string;
  changes: string;
}): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    actorId: row.actor_id,
    actor: row.actor_label,
    entityType: row.entity_type,
    entityId: row.entity_id,
    accountId: row.account_id,
    action: row.action,
    changes: parseJsonObject(row.changes),
  };
}
