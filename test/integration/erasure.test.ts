// Erasing one account for a privacy request: all its data goes, its audit entries keep a tombstone.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { buildTinyBook } from '../helpers/book';
import { forEachStore } from '../helpers/stores';

const TABLES = [
  'contacts',
  'signals',
  'daily_rollups',
  'health_scores',
  'csm_sentiments',
  'risk_cases',
  'segment_members',
  'segment_membership_events',
] as const;

forEachStore('account erasure', (current) => {
  it('deletes the account and everything about it, and leaves only tombstones in the audit log', async () => {
    const t = current();
    const { cases, actors, accounts } = await buildTinyBook(t);
    const acme = accounts[0];
    const birch = accounts[1];
    if (!acme || !birch) throw new Error('tiny book changed');
    await t.services.accounts.addContact(actors.leadA, acme.id, {
      email: 'jane.doe@acme.example',
      name: 'Jane Doe',
    });
    await t.services.signals.ingest(SYSTEM_ACTOR, [
      {
        kind: 'nps',
        account: 'A-1',
        occurredAt: '2026-03-10T10:00:00Z',
        data: { score: 3, comment: 'Jane hates it' },
      },
    ]);
    await t.services.health.setSentiment(actors.csmA, acme.id, 'red', 'Jane Doe is leaving');
    await t.services.riskCases.addUpdate(actors.csmA, cases.at_risk ?? 0, {
      background: 'Jane Doe, their admin, left.',
      doneSoFar: 'Called Jane.',
      nextSteps: 'Meet the new admin.',
    });
    await t.services.segments.refresh();
    const count = async (table: (typeof TABLES)[number], accountId: number) =>
      Number(
        (
          await sql<{
            n: number | string;
          }>`select count(*) as n from ${sql.table(table)} where account_id = ${accountId}`.execute(
            t.store.db,
          )
        ).rows[0]?.n ?? 0,
      );
    for (const table of ['contacts', 'signals', 'health_scores', 'csm_sentiments', 'risk_cases'] as const)
      expect({ table, rows: await count(table, acme.id) }).not.toEqual({ table, rows: 0 });
    const birchBefore = await Promise.all(TABLES.map((table) => count(table, birch.id)));

    await expect(t.services.accounts.erase(actors.leadA, acme.id, 'privacy request')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const result = await t.services.accounts.erase(actors.admin, acme.id, 'privacy request #42');
    expect(result.auditEntriesScrubbed).toBeGreaterThan(3);

    await expect(t.services.accounts.get(acme.id)).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
    for (const table of TABLES)
      expect({ table, rows: await count(table, acme.id) }).toEqual({ table, rows: 0 });
    expect(
      Number(
        (
          await sql<{
            n: number | string;
          }>`select count(*) as n from risk_updates where case_id = ${cases.at_risk ?? 0}`.execute(t.store.db)
        ).rows[0]?.n,
      ),
    ).toBe(0);
    // Nothing about Jane or Acme is left anywhere in the audit log; the entries themselves remain.
    const audit = await sql<{ action: string; changes: string; account_id: number | null }>`
      select action, changes, account_id from audit_log`.execute(t.store.db);
    const text = JSON.stringify(audit.rows);
    for (const secret of ['Jane', 'jane.doe', 'Acme Analytics', 'hates it'])
      expect(text).not.toContain(secret);
    const tombstones = audit.rows.filter((row) => row.account_id === acme.id);
    expect(tombstones.map((row) => row.action)).toEqual(
      expect.arrayContaining(['created', 'opened', 'weekly_update', 'erased']),
    );
    expect(
      tombstones.filter((row) => row.action !== 'erased').every((row) => row.changes === '{"erased":true}'),
    ).toBe(true);
    // Other accounts are untouched.
    expect(await Promise.all(TABLES.map((table) => count(table, birch.id)))).toEqual(birchBefore);
  });
});
