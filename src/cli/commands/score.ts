// `retain score`: re-score every account now (the scheduled daily run does the same).
import type { Command } from 'commander';
import { withServices } from '../run';

export function scoreCommand(program: Command): void {
  program
    .command('score')
    .description('compute health scores for every account for today')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (options: { db?: string }) => {
      await withServices(options, async (services) => {
        const started = Date.now();
        const run = await services.health.score();
        process.stdout.write(
          `Scored ${run.scored} accounts for ${run.day} (${run.withoutData} without signal data, ` +
            `${run.bandChanges} band changes) in ${Date.now() - started} ms.\n`,
        );
      });
    });
}
