// Where each detection rule stands on each account, and the evidence firing rules left on cases.
import type { Kysely } from 'kysely';
import type { RuleState } from '../domain/detection';
import { parseJsonObject } from './json';
import type { Database } from './schema';

export interface RuleStateWrite extends RuleState {
  accountId: number;
  ruleKey: string;
  clearedAt: string | null;
  lastValue: number | null;
}

export interface Evidence {
  id: number;
  caseId: number;
  ruleKey: string;
  reasonKey: string;
  reasonName: string;
  at: string;
  summary: string;
  details: Record<string, unknown>;
}

const CHUNK = 500;

export class DetectionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async states(accountIds: readonly number[]): Promise<Map<string, RuleState>> {
    const found = new Map<string, RuleState>();
    for (let i = 0; i < accountIds.length; i += CHUNK) {
      const rows = await this.db
        .selectFrom('rule_states')
        .select(['account_id', 'rule_key', 'active', 'fired_at', 'holding_since', 'cleared_at'])
        .where('account_id', 'in', accountIds.slice(i, i + CHUNK))
        .execute();
      for (const row of rows) {
        found.set(`${row.account_id}|${row.rule_key}`, {
          active: row.active === 1,
          firedAt: row.fired_at,
          holdingSince: row.holding_since,
          clearedAt: row.cleared_at,
        });
      }
    }
    return found;
  }

  async saveStates(rows: readonly RuleStateWrite[], now: Date): Promise<void> {
    const at = now.toISOString();
    for (let i = 0; i < rows.length; i += CHUNK) {
      await this.db
        .insertInto('rule_states')
        .values(
          rows.slice(i, i + CHUNK).map((row) => ({
            account_id: row.accountId,
            rule_key: row.ruleKey,
            active: row.active ? 1 : 0,
            fired_at: row.firedAt,
            cleared_at: row.clearedAt,
            last_value: row.lastValue,
            holding_since: row.holdingSince ?? null,
            updated_at: at,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['account_id', 'rule_key']).doUpdateSet((eb) => ({
            active: eb.ref('excluded.active'),
            fired_at: eb.ref('excluded.fired_at'),
            cleared_at: eb.ref('excluded.cleared_at'),
            last_value: eb.ref('excluded.last_value'),
            holding_since: eb.ref('excluded.holding_since'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
  }

  async addEvidence(
    rows: readonly { caseId: number; ruleKey: string; reasonId: number; summary: string; details: unknown }[],
    now: Date,
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('risk_case_evidence')
      .values(
        rows.map((row) => ({
          case_id: row.caseId,
          rule_key: row.ruleKey,
          reason_id: row.reasonId,
          at: now.toISOString(),
          summary: row.summary,
          details: JSON.stringify(row.details),
        })),
      )
      .execute();
  }

  async evidenceOf(caseId: number): Promise<Evidence[]> {
    const rows = await this.db
      .selectFrom('risk_case_evidence as e')
      .innerJoin('risk_reasons as r', 'r.id', 'e.reason_id')
      .select(['e.id', 'e.case_id', 'e.rule_key', 'e.at', 'e.summary', 'e.details', 'r.key', 'r.name'])
      .where('e.case_id', '=', caseId)
      .orderBy('e.at')
      .orderBy('e.id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      caseId: row.case_id,
      ruleKey: row.rule_key,
      reasonKey: row.key,
      reasonName: row.name,
      at: row.at,
      summary: row.summary,
      details: parseJsonObject(row.details),
    }));
  }
}
