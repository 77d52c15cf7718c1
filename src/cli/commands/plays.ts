// `retain worker` runs plays (any number of workers may share a PostgreSQL store); `retain plays`
// lists, previews, switches on and off, and measures them.
import type { Command } from 'commander';
import { SYSTEM_ACTOR } from '../../domain/policy';
import { createPlayRunner } from '../../jobs/play-runner';
import { withServices } from '../run';

export function playCommands(program: Command): void {
  program
    .command('worker')
    .description('run playbooks: start runs from events and schedules, walk due steps, send the outbox')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .option('--once', 'do everything due now, print what was done, and exit')
    .option('--interval <ms>', 'how often to look for due work', '5000')
    .action(async (options: { db?: string; once?: boolean; interval: string }) => {
      await withServices(options, async (services) => {
        const runner = createPlayRunner(services, {
          onDeliveryFailure: (failure) =>
            process.stderr.write(
              `message ${failure.messageId} (${failure.kind}, attempt ${failure.attempt}) not delivered: ` +
                `${failure.category}: ${failure.detail}\n`,
            ),
        });
        if (options.once) {
          const report = await runner.drain();
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        process.stdout.write(`Worker running against ${services.store.kind} ${services.store.location}\n`);
        await new Promise<void>((resolve) => {
          runner.start(Number(options.interval), (error) =>
            process.stderr.write(
              `worker tick failed: ${error instanceof Error ? error.message : String(error)}\n`,
            ),
          );
          const stop = () => void runner.stop().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      });
    });

  const plays = program.command('plays').description('playbooks: list, preview, activate, measure');

  plays
    .command('list')
    .description('every play, whether it is on, and its trigger')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (options: { db?: string }) => {
      await withServices(options, async (services) => {
        for (const play of await services.playbooks.list(SYSTEM_ACTOR)) {
          process.stdout.write(
            `${play.key.padEnd(30)} ${(play.active ? 'on' : 'off').padEnd(4)} v${String(play.definitionVersion).padEnd(3)} ${play.definition.trigger.kind.padEnd(18)} ${play.name}\n`,
          );
        }
      });
    });

  for (const [name, active] of [
    ['activate', true],
    ['deactivate', false],
  ] as const) {
    plays
      .command(`${name} <play>`)
      .description(active ? 'turn a play on' : 'turn a play off (runs in flight finish)')
      .option('--db <target>', 'SQLite file path or postgres:// URL')
      .action(async (ref: string, options: { db?: string }) => {
        await withServices(options, async (services) => {
          const play = await services.playbooks.get(ref, SYSTEM_ACTOR);
          const updated = await services.playbooks.update(SYSTEM_ACTOR, play.id, {
            active,
            version: play.version,
          });
          process.stdout.write(`${updated.name} is ${updated.active ? 'on' : 'off'}\n`);
        });
      });
  }

  plays
    .command('dry-run <play>')
    .description('which accounts would enter the play now, before turning it on')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (ref: string, options: { db?: string }) => {
      await withServices(options, async (services) => {
        const preview = await services.playbooks.dryRun(ref);
        process.stdout.write(
          `${preview.total} accounts would enter (${preview.treated} treated, ${preview.holdout} held out); ${preview.alreadyInPlay} are already in it\n`,
        );
        for (const account of preview.accounts)
          process.stdout.write(
            `  ${account.externalId.padEnd(16)} ${account.cohort.padEnd(8)} ${account.name}\n`,
          );
      });
    });

  plays
    .command('effectiveness <play>')
    .description('treated vs held-out accounts: save rate, churn, health change after 30 days')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .option('--json', 'print the report as JSON')
    .action(async (ref: string, options: { db?: string; json?: boolean }) => {
      await withServices(options, async (services) => {
        const report = await services.playbooks.effectiveness(ref);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return;
        }
        const rate = (value: number | null) => (value === null ? '-' : `${(value * 100).toFixed(1)}%`);
        for (const [label, cohort] of [
          ['treated', report.treated],
          ['held out', report.holdout],
        ] as const) {
          process.stdout.write(
            `${label.padEnd(9)} entered ${cohort.entered}, closed ${cohort.closed}, saved ${cohort.recovered}, lost ${cohort.lost}; save rate ${rate(cohort.saveRate)}, churn ${rate(cohort.churnRate)}\n`,
          );
        }
        process.stdout.write(`${report.summary}\n`);
      });
    });
}
