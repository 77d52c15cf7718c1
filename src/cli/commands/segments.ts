// `retain segments`: list saved segments with live counts, preview a filter, save one, refresh
// membership, and show who entered and left.
import type { Command } from 'commander';
import { SYSTEM_ACTOR } from '../../domain/policy';
import type { SegmentAccount } from '../../store/saved-segment.repository';
import { withServices } from '../run';

const cliActor = { ...SYSTEM_ACTOR, label: 'cli' };

function printAccounts(items: readonly SegmentAccount[]): void {
  for (const account of items)
    process.stdout.write(
      `  ${account.externalId.padEnd(14)} ${account.name.slice(0, 40).padEnd(40)} ${String(account.arr).padStart(10)}  ${account.ownerEmail ?? '-'}\n`,
    );
}

export function segmentCommands(program: Command): void {
  const segments = program
    .command('segments')
    .description('saved account segments: list, preview, save, refresh');

  segments
    .command('list')
    .description('every saved segment with the number of accounts in it now')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (options: { db?: string }) => {
      await withServices(options, async (services) => {
        for (const segment of await services.segments.list({ live: true }))
          process.stdout.write(
            `${String(segment.liveCount ?? segment.memberCount).padStart(8)}  ${segment.key.padEnd(28)} ${segment.name}\n          ${segment.filter}\n`,
          );
      });
    });

  segments
    .command('preview')
    .argument('<filter>', 'e.g. \'tier = "Enterprise" and renewal within 90 days\'')
    .description('count and list the accounts a filter matches now')
    .option('--limit <n>', 'accounts to list', (raw) => Math.max(1, Math.min(500, Number(raw) || 20)), 20)
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (filter: string, options: { db?: string; limit: number }) => {
      await withServices(options, async (services) => {
        const preview = await services.segments.preview(filter, { limit: options.limit, offset: 0 });
        process.stdout.write(`${preview.count} accounts match.\n`);
        printAccounts(preview.items);
      });
    });

  segments
    .command('create')
    .requiredOption('--name <name>', 'what the segment is called')
    .requiredOption('--filter <filter>', 'which accounts belong to it')
    .option('--key <key>', 'a stable key (default: from the name)')
    .option('--description <text>')
    .description('save a segment')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(
      async (options: { db?: string; name: string; filter: string; key?: string; description?: string }) => {
        await withServices(options, async (services) => {
          const segment = await services.segments.create(cliActor, {
            name: options.name,
            filter: options.filter,
            ...(options.key ? { key: options.key } : {}),
            ...(options.description ? { description: options.description } : {}),
          });
          process.stdout.write(
            `Saved segment ${segment.key} (#${segment.id}): ${segment.liveCount} accounts match now.\n`,
          );
        });
      },
    );

  segments
    .command('refresh')
    .description('bring every segment’s membership up to date, recording who entered and left')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (options: { db?: string }) => {
      await withServices(options, async (services) => {
        for (const result of await services.segments.refresh())
          process.stdout.write(
            `${result.key.padEnd(28)} ${String(result.members).padStart(8)} members  +${result.entered} -${result.left}\n`,
          );
      });
    });

  segments
    .command('history')
    .argument('<key>', 'segment key')
    .option('--limit <n>', 'events to show', (raw) => Math.max(1, Math.min(500, Number(raw) || 50)), 50)
    .description('who entered and left the segment, newest first')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (key: string, options: { db?: string; limit: number }) => {
      await withServices(options, async (services) => {
        const segment = (await services.segments.list()).find((s) => s.key === key);
        if (!segment) {
          process.stderr.write(`error SEGMENT_NOT_FOUND: No segment with key "${key}".\n`);
          process.exitCode = 1;
          return;
        }
        for (const event of await services.segments.history(segment.id, { limit: options.limit, offset: 0 }))
          process.stdout.write(
            `${event.at}  ${event.kind.padEnd(7)}  ${event.externalId}  ${event.accountName}\n`,
          );
      });
    });
}
