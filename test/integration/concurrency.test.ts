// Many people working one risk case at the same time: every write carries the version it read, a
// stale one is refused with the current state, and after retries no change is lost and the stage
// history is one unbroken chain.
import { expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors';
import { buildTinyBook } from '../helpers/book';
import { forEachStore } from '../helpers/stores';

const CLIENTS = 12;

/** Runs `attempt` until it is not refused for a stale version; returns how many tries it took. */
async function withRetry(attempt: () => Promise<unknown>): Promise<number> {
  for (let tries = 1; tries <= 200; tries += 1) {
    try {
      await attempt();
      return tries;
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'VERSION_CONFLICT') throw error;
      expect(error.details).toHaveProperty('current');
    }
  }
  throw new Error('gave up after 200 stale writes');
}

forEachStore('parallel edits of one case', (current) => {
  it('loses no update and keeps the stage history consistent', async () => {
    const t = current();
    const { cases, actors } = await buildTinyBook(t);
    const id = cases.at_risk ?? 0;
    const start = await t.services.riskCases.get(id);
    const stagesCycle = ['plan_in_place', 'saving', 'at_risk'];

    const tries = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        let total = 0;
        // Each client raises ARR at risk by 1,000, read-modify-write with the version it read.
        total += await withRetry(async () => {
          const seen = await t.services.riskCases.get(id);
          await t.services.riskCases.updateDetails(actors.leadA, id, {
            arrAtRisk: seen.arrAtRisk + 1_000,
            version: seen.version,
          });
        });
        // ...moves the case to the stage after the one it sees...
        total += await withRetry(async () => {
          const seen = await t.services.riskCases.get(id);
          const next =
            stagesCycle[(stagesCycle.indexOf(seen.stage.key) + 1) % stagesCycle.length] ?? 'saving';
          await t.services.riskCases.moveStage(actors.leadA, id, { stage: next, version: seen.version });
        });
        // ...and writes a weekly update (appends need no version).
        await t.services.riskCases.addUpdate(actors.leadA, id, {
          background: `client ${client}`,
          doneSoFar: 'worked it',
          nextSteps: 'keep going',
        });
        return total;
      }),
    );

    const after = await t.services.riskCases.get(id);
    expect(after.arrAtRisk).toBe(start.arrAtRisk + CLIENTS * 1_000);
    // One stage move per client on top of the opening entry, each starting where the last ended.
    expect(after.stageHistory).toHaveLength(start.stageHistory.length + CLIENTS);
    for (let i = 1; i < after.stageHistory.length; i += 1)
      expect(after.stageHistory[i]?.from).toBe(after.stageHistory[i - 1]?.to);
    expect(after.stage.key).toBe(after.stageHistory.at(-1)?.to);
    const updates = await t.services.riskCases.updates(id);
    expect(updates.map((u) => u.background).sort()).toEqual(
      Array.from({ length: CLIENTS }, (_, i) => `client ${i}`).sort(),
    );
    // Every accepted write bumped the version exactly once.
    expect(after.version).toBe(start.version + 2 * CLIENTS + CLIENTS);
    // The clients did collide (otherwise this proves nothing).
    expect(tries.reduce((a, b) => a + b, 0)).toBeGreaterThan(2 * CLIENTS);
  });
});
