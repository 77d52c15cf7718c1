// The shared RavenStack SaaS dataset end to end: accounts, usage, tickets and churn in; scores and
// detected risk cases out. Expectations are counted from the files themselves.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { importRavenstack, ravenstackAsOf } from '../../src/services/datasets/ravenstack';
import { SignalRepository } from '../../src/store/signal.repository';
import { forEachStore } from '../helpers/stores';

const DIR = resolve(import.meta.dirname, '../../datasets/ravenstack-saas');
const table = (file: string) =>
  parse<Record<string, string>>(readFileSync(join(DIR, file)), { columns: true, bom: true, trim: true });

forEachStore('RavenStack dataset', (current) => {
  it('imports end to end, yields scores and detected cases, and re-imports without changes', async () => {
    const t = current();
    t.clock.set(ravenstackAsOf(DIR));
    const accounts = table('ravenstack_accounts.csv');
    const usage = table('ravenstack_feature_usage.csv');
    const tickets = table('ravenstack_support_tickets.csv');
    const repeatedUsageIds = usage.length - new Set(usage.map((row) => row.usage_id)).size;
    const expectedSignals =
      usage.length +
      tickets.length +
      tickets.filter((row) => row.escalation_flag === 'True').length +
      tickets.filter((row) => row.closed_at).length +
      tickets.filter((row) => row.closed_at && row.satisfaction_score).length;

    const report = await importRavenstack(t.services, SYSTEM_ACTOR, DIR);
    expect(report.asOf).toBe('2025-01-01');
    expect(report.accounts).toEqual({ rows: accounts.length, created: accounts.length, updated: 0 });
    expect(report.signals).toEqual({
      read: expectedSignals,
      inserted: expectedSignals - repeatedUsageIds,
      duplicates: repeatedUsageIds,
    });
    expect(report.orphanUsage).toBe(0);
    expect(await new SignalRepository(t.store.db).count()).toMatchObject({
      signals: expectedSignals - repeatedUsageIds,
    });

    // Every account with signals has a score in a configured band; detection opened cases with evidence.
    expect(report.scoring.scored + report.scoring.withoutData).toBe(accounts.length);
    expect(report.scoring.scored).toBeGreaterThan(accounts.length * 0.9);
    expect(report.detection.casesOpened).toBeGreaterThan(0);
    const cases = await t.services.riskCases.worklist({ limit: 500 });
    expect(cases.total).toBe(report.detection.casesOpened);
    expect(cases.items.every((c) => c.source === 'rule')).toBe(true);
    const sample = await t.services.riskCases.get(cases.items[0]?.id ?? 0);
    expect(sample.evidence.length).toBeGreaterThan(0);
    const health = await t.services.health.accountHealth(sample.accountId);
    expect(['Poor', 'Average', 'Good']).toContain(health.current?.band);
    expect(health.current?.explanation.length).toBeGreaterThan(0);

    // An account keeps its CRM facts as attributes, and its ARR comes from active subscriptions.
    const first = accounts[0];
    const account = await t.services.accounts.getByExternalId(first?.account_id ?? '');
    expect(account).toMatchObject({
      name: first?.account_name,
      tier: first?.plan_tier,
      attributes: { industry: first?.industry, country: first?.country },
    });

    const again = await importRavenstack(t.services, SYSTEM_ACTOR, DIR);
    expect(again.accounts).toMatchObject({ created: 0, updated: 0 });
    expect(again.signals).toMatchObject({ inserted: 0, duplicates: expectedSignals });
    expect(again.detection).toMatchObject({ casesOpened: 0, casesUpdated: 0 });
  });
});
