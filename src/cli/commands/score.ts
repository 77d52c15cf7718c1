// `retain score`: re-score every account and run detection now (what the daily run does).
import type { Command } from 'commander';
import { withServices } from '../run';

export function scoreCommand(program: Command): void {
  program
    .command('score')
    .description('compute health scores for every account for today, then run risk detection')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (options: { db?: string }) => {
      await withServices(options, async (services) => {
        const started = Date.now();
        const run = await services.health.score();
        process.stdout.write(
          `Scored ${run.scored} accounts for ${run.day} (${run.withoutData} without signal data, ` +
            `${run.bandChanges} band changes) in ${Date.now() - started} ms.\n`,
        );
        const detected = await services.detection.evaluate();
        process.stdout.write(
          `Detection: ${detected.fired} rule firings, ${detected.casesOpened} cases opened, ` +
            `${detected.casesUpdated} updated, ${detected.suppressed} held back by the quiet period, ` +
            `${detected.cleared} cleared.\n`,
        );
      });
    });
}
