// `retain config export` / `retain config import FILE`: configuration as one JSON document.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AppError } from '../../domain/errors';
import { SYSTEM_ACTOR } from '../../domain/policy';
import { withServices } from '../run';

export function configCommands(program: Command): void {
  const config = program.command('config').description('export or import configuration as JSON');
  config
    .command('export')
    .description('write stages, reasons, settings, scorecard and detection rules as JSON to stdout')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (options: { db?: string }) => {
      await withServices(options, async (services) => {
        process.stdout.write(`${JSON.stringify(await services.configTransfer.export(), null, 2)}\n`);
      });
    });
  config
    .command('import')
    .argument('<file>', 'a document written by `retain config export`')
    .description('apply a configuration document: adds and updates by key, all or nothing')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (file: string, options: { db?: string }) => {
      let document: unknown;
      try {
        document = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new AppError('VALIDATION_FAILED', `"${file}" is not a readable JSON file: ${String(error)}`, {
          file,
        });
      }
      await withServices({ ...options, createStore: true }, async (services) => {
        const applied = await services.configTransfer.import({ ...SYSTEM_ACTOR, label: 'cli' }, document);
        process.stdout.write(
          `Imported ${applied.stages} stages, ${applied.reasons} reasons and ${applied.rules} detection rules.\n`,
        );
      });
    });
}
