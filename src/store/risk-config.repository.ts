// Configuration of the risk process: the stage list, the reason catalog and settings.
import { sql, type Kysely } from 'kysely';
import type { RiskReason } from '../domain/risk-reason';
import type { CaseOutcome, RiskStage } from '../domain/risk-lifecycle';
import type { Database } from './schema';

export interface StageFields {
  key: string;
  name: string;
  position: number;
  isEnd: boolean;
  outcome: CaseOutcome | null;
  active: boolean;
}

export interface ReasonFields {
  key: string;
  name: string;
  description: string | null;
  position: number;
  active: boolean;
}

export class RiskConfigRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async listStages(): Promise<RiskStage[]> {
    const rows = await this.db
      .selectFrom('risk_stages')
      .selectAll()
      .orderBy('position')
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      key: row.key,
      name: row.name,
      position: row.position,
      isEnd: row.is_end === 1,
      outcome: row.outcome as CaseOutcome | null,
      active: row.active === 1,
    }));
  }

  async insertStage(fields: StageFields): Promise<number> {
    const row = await this.db
      .insertInto('risk_stages')
      .values({
        key: fields.key,
        name: fields.name,
        position: fields.position,
        is_end: fields.isEnd ? 1 : 0,
        outcome: fields.outcome,
        active: fields.active ? 1 : 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async updateStage(id: number, fields: Partial<StageFields>): Promise<void> {
    await this.db
      .updateTable('risk_stages')
      .set({
        ...(fields.key !== undefined && { key: fields.key }),
        ...(fields.name !== undefined && { name: fields.name }),
        ...(fields.position !== undefined && { position: fields.position }),
        ...(fields.isEnd !== undefined && { is_end: fields.isEnd ? 1 : 0 }),
        ...(fields.outcome !== undefined && { outcome: fields.outcome }),
        ...(fields.active !== undefined && { active: fields.active ? 1 : 0 }),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Stores each stage's new position (the stage order). */
  async setStagePositions(positions: readonly { id: number; position: number }[]): Promise<void> {
    for (const { id, position } of positions)
      await this.db.updateTable('risk_stages').set({ position }).where('id', '=', id).execute();
  }

  async countCasesInStage(stageId: number): Promise<number> {
    const row = await this.db
      .selectFrom('risk_cases')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('stage_id', '=', stageId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async listReasons(): Promise<RiskReason[]> {
    const rows = await this.db
      .selectFrom('risk_reasons')
      .selectAll()
      .orderBy('position')
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      key: row.key,
      name: row.name,
      description: row.description,
      position: row.position,
      active: row.active === 1,
    }));
  }

  async insertReason(fields: ReasonFields): Promise<number> {
    const row = await this.db
      .insertInto('risk_reasons')
      .values({
        key: fields.key,
        name: fields.name,
        description: fields.description,
        position: fields.position,
        active: fields.active ? 1 : 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async updateReason(id: number, fields: Partial<ReasonFields>): Promise<void> {
    await this.db
      .updateTable('risk_reasons')
      .set({
        ...(fields.key !== undefined && { key: fields.key }),
        ...(fields.name !== undefined && { name: fields.name }),
        ...(fields.description !== undefined && { description: fields.description }),
        ...(fields.position !== undefined && { position: fields.position }),
        ...(fields.active !== undefined && { active: fields.active ? 1 : 0 }),
      })
      .where('id', '=', id)
      .execute();
  }

  async readSettings(): Promise<Record<string, unknown>> {
    const rows = await this.db.selectFrom('settings').selectAll().execute();
    return Object.fromEntries(rows.map((row) => [row.key, JSON.parse(row.value) as unknown]));
  }

  /**
   * Serialises writers of the settings until the transaction ends, so that a write made against a
   * revision read inside it cannot race another (SQLite's write transactions already take the
   * store's one write lock).
   */
  async lockSettings(postgres: boolean): Promise<void> {
    if (postgres) await sql`select pg_advisory_xact_lock(hashtext('retain.settings'))`.execute(this.db);
  }

  async writeSettings(values: Record<string, unknown>, now: Date): Promise<void> {
    const at = now.toISOString();
    for (const [key, value] of Object.entries(values)) {
      await this.db
        .insertInto('settings')
        .values({ key, value: JSON.stringify(value), updated_at: at })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: at }))
        .execute();
    }
  }
}
