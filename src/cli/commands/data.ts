// `retain demo`, `retain import …`, `retain export …`, `retain migrate`.
import { accessSync, constants, createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { AppError } from '../../domain/errors';
import { SYSTEM_ACTOR, type Actor } from '../../domain/policy';
import { actorOf } from '../../services/auth';
import { parseMappingOption } from '../../services/csv-mapping';
import type { Clock } from '../../services/clock';
import { importRavenstack, ravenstackAsOf, type RavenstackReport } from '../../services/datasets/ravenstack';
import { generateDemoBook } from '../../services/demo';
import { parseTimestamp } from '../../domain/signals';
import type { ExportFormat } from '../../services/exports';
import type { ImportDetection, ImportReport } from '../../services/imports';
import type { BackfillReport } from '../../services/signal-backfill';
import type { Services } from '../../services';
import { migrateStore, openStore, resolveStoreTarget } from '../../store/db';
import { UserRepository } from '../../store/user.repository';
import { withServices } from '../run';
import { printable } from '../terminal';

const CLI_ACTOR: Actor = { ...SYSTEM_ACTOR, label: 'cli' };

async function actorFor(services: Services, email: string | undefined): Promise<Actor> {
  if (!email) return CLI_ACTOR;
  const found = await new UserRepository(services.store.db).findUserForLogin(email.toLowerCase());
  if (!found) throw new AppError('USER_NOT_FOUND', `No user "${email}" to act as.`, { email });
  return actorOf(found.user);
}

export function dataCommands(program: Command): void {
  program
    .command('demo')
    .description('generate the deterministic demo book into an empty store')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .option('--accounts <n>', 'number of accounts', '5000')
    .option('--seed <s>', 'random seed', '42')
    .option('--password <p>', 'password for every demo user (generated if absent)')
    .option(
      '--ravenstack <dir>',
      'instead of generated accounts, load the RavenStack dataset for the demo CSMs',
    )
    .action(
      async (options: {
        db?: string;
        accounts: string;
        seed: string;
        password?: string;
        ravenstack?: string;
      }) => {
        const dataset = options.ravenstack;
        await withServices(
          { ...options, createStore: true },
          async (services) => {
            const started = Date.now();
            const summary = await generateDemoBook(services, {
              accounts: dataset ? 0 : positiveInt(options.accounts, '--accounts'),
              seed: positiveInt(options.seed, '--seed'),
              password: options.password,
            });
            if (dataset) {
              const csms = (await services.users.listUsers()).filter((user) => user.role === 'csm');
              const report = await importRavenstack(services, CLI_ACTOR, dataset, {
                ownerEmails: csms.map((user) => user.email),
              });
              printRavenstack(report);
            } else {
              process.stdout.write(
                `Demo book: ${summary.accounts} accounts, ${summary.contacts} contacts, ${summary.users} users, ` +
                  `${summary.openCases} open and ${summary.closedCases} closed risk cases (${Date.now() - started} ms).\n`,
              );
            }
            process.stdout.write(`Log in as ${summary.adminEmail} with password ${summary.password}\n`);
          },
          dataset ? datasetClock(dataset, undefined) : undefined,
        );
      },
    );

  const importer = program
    .command('import')
    .description('import accounts or contacts from a CRM CSV export, or signals from CSV');
  for (const kind of ['accounts', 'contacts', 'signals'] as const) {
    const command = importer
      .command(kind)
      .argument('<file>', 'CSV file with a header row')
      .description(`import ${kind}; all or nothing unless --partial`)
      .option('--db <target>', 'SQLite file path or postgres:// URL')
      .option(
        '--map <pairs|file>',
        'column mapping, e.g. "Acct ID=externalId,Plan=tier,Notes=ignore", or a JSON file of header: field',
      )
      .option(
        '--locale <tag>',
        'how the file writes numbers and dates, e.g. en-US or de-DE; without it, values that could be read two ways are refused',
      )
      .option(
        '--saved-mapping <name>',
        'read the file with a mapping saved by name (its columns, locale and encoding); --map, --locale and --encoding win over it',
      )
      .option(
        '--save-mapping <name>',
        'after the run, save how the columns were read (and --locale, --encoding) under this new name',
      )
      .option('--partial', 'import the good rows and report the bad ones')
      .option('--dry-run', 'check every row and report what would change, writing nothing')
      .option(
        '--encoding <label>',
        "the file's encoding, e.g. windows-1252 (Excel on Windows) or utf-16le; UTF-8 by default",
      )
      .option('--as <email>', 'attribute the changes to this user in the audit log');
    if (kind === 'signals')
      command
        .option('--create-accounts', 'create placeholder accounts for unknown account ids')
        .option(
          '--replay',
          'backfill history: write the file day by day from its first day to today, scoring and detecting at each day, so cases open on the day their evidence arrived',
        );
    command.action(
      async (
        file: string,
        options: {
          db?: string;
          map?: string;
          partial?: boolean;
          dryRun?: boolean;
          encoding?: string;
          locale?: string;
          as?: string;
          createAccounts?: boolean;
          savedMapping?: string;
          saveMapping?: string;
          replay?: boolean;
        },
      ) => {
        await withServices({ ...options, createStore: true }, async (services) => {
          const actor = await actorFor(services, options.as);
          const size = readableFileSize(file);
          const input = createReadStream(file);
          const bar = process.stderr.isTTY
            ? new SingleBar(
                { format: ' {bar} {percentage}% | {rows} rows | {eta}s left', stream: process.stderr },
                Presets.shades_classic,
              )
            : null;
          bar?.start(size, 0, { rows: 0 });
          const importOptions = await services.importMappings.applyTo(actor, kind, options.savedMapping, {
            partial: options.partial ?? false,
            dryRun: options.dryRun ?? false,
            ...(options.map !== undefined && { mapping: mappingArgument(options.map) }),
            ...(options.encoding !== undefined && { encoding: options.encoding }),
            ...(options.locale !== undefined && { locale: options.locale }),
            onProgress: (rows: number) => bar?.update(input.bytesRead, { rows }),
          });
          try {
            const signalOptions = { ...importOptions, createAccounts: options.createAccounts ?? false };
            const report: ImportReport &
              Partial<Pick<BackfillReport, 'createdAccounts' | 'detection' | 'replay'>> =
              kind === 'accounts'
                ? await services.imports.importAccounts(actor, input, importOptions)
                : kind === 'contacts'
                  ? await services.imports.importContacts(actor, input, importOptions)
                  : options.replay
                    ? await services.signalBackfill.replay(actor, input, {
                        ...signalOptions,
                        onDay: (day, done, days) => {
                          bar?.setTotal(days);
                          bar?.update(done, { rows: `day ${day}` });
                        },
                      })
                    : await services.imports.importSignals(actor, input, signalOptions);
            bar?.update(size, { rows: report.rows });
            bar?.stop();
            process.stdout.write(
              `${report.dryRun ? 'Dry run, nothing written: would import' : 'Imported'} ${kind} from ${file}: ` +
                `${report.rows} rows, ${report.created} created, ${report.updated} updated, ` +
                `${report.unchanged} unchanged, ${report.rejected} rejected.\n`,
            );
            if (report.createdAccounts?.length) {
              process.stdout.write(`  created ${report.createdAccounts.length} placeholder accounts\n`);
            }
            if (report.replay)
              process.stdout.write(
                `  ${report.dryRun ? 'would replay' : 'replayed'} ${report.replay.days} days, ${report.replay.from} to ${report.replay.to}\n`,
              );
            if (report.detection) writeDetection(report.detection);
            if (report.dryRun) {
              process.stdout.write('  columns:\n');
              for (const column of report.columns)
                process.stdout.write(`    ${JSON.stringify(column.header)} -> ${column.target}\n`);
            }
            for (const lookalike of report.lookalikes)
              process.stdout.write(`  warning: ${lookalike.message}\n`);
            for (const row of report.footer)
              process.stdout.write(`  footer line ${row.line} not imported: ${row.text}\n`);
            if (options.saveMapping !== undefined) {
              // Only a new name: a mapping someone saved is replaced in the import wizard or over the API,
              // at the version they read, never by a run that did not look at it.
              const { mapping } = await services.importMappings.save(actor, kind, options.saveMapping, {
                columns: Object.fromEntries(report.columns.map((column) => [column.header, column.target])),
                locale: importOptions.locale ?? null,
                encoding: importOptions.encoding ?? null,
              });
              process.stdout.write(
                `  saved mapping "${mapping.name}"; use it with --saved-mapping ${JSON.stringify(mapping.name)}\n`,
              );
            }
            for (const error of report.errors.slice(0, 50)) {
              process.stdout.write(
                `  rejected line ${error.line}${error.column ? `, column "${error.column}"` : ''}: ${error.message}\n`,
              );
            }
            if (report.rejected > 0) process.exitCode = 3;
          } finally {
            bar?.stop();
          }
        });
      },
    );
  }

  importer
    .command('ravenstack')
    .argument('<dir>', 'folder with the five ravenstack_*.csv files')
    .description(
      'import the RavenStack SaaS dataset (accounts, usage, tickets, churn), then score and detect',
    )
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .option('--as-of <date>', 'the day to score as of (default: the day after the data ends)')
    .action(async (dir: string, options: { db?: string; asOf?: string }) => {
      const asOf = datasetClock(dir, options.asOf);
      await withServices(
        { ...options, createStore: true },
        async (services) => {
          const report = await importRavenstack(services, CLI_ACTOR, dir);
          printRavenstack(report);
        },
        asOf,
      );
    });

  const exporter = program.command('export').description('export accounts, contacts or risk cases to stdout');
  for (const kind of ['accounts', 'contacts', 'cases'] as const) {
    exporter
      .command(kind)
      .description(`write ${kind} as CSV or JSON to stdout`)
      .option('--db <target>', 'SQLite file path or postgres:// URL')
      .option('--format <format>', 'csv or json', 'csv')
      .option(
        '--raw',
        "CSV cells verbatim, for machines (by default a cell starting with = + - @ tab or CR gets a leading ')",
      )
      .action(async (options: { db?: string; format: string; raw?: boolean }) => {
        if (options.format !== 'csv' && options.format !== 'json') {
          throw new AppError('VALIDATION_FAILED', `--format must be csv or json, not "${options.format}".`, {
            field: 'format',
          });
        }
        const format: ExportFormat = options.format;
        await withServices(options, async (services) => {
          const csv = { raw: options.raw === true };
          const chunks =
            kind === 'accounts'
              ? services.exports.accounts(format, csv)
              : kind === 'contacts'
                ? services.exports.contacts(format, csv)
                : services.exports.cases(format, csv);
          for await (const chunk of chunks) {
            if (!process.stdout.write(chunk))
              await new Promise((resolve) => process.stdout.once('drain', resolve));
          }
        });
      });
  }

  program
    .command('migrate')
    .description('bring the store schema up to date')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (options: { db?: string }) => {
      const store = await openStore(resolveStoreTarget(options.db), { migrate: false });
      try {
        const applied = await migrateStore(store.db);
        process.stdout.write(
          applied.length > 0 ? `Applied: ${applied.join(', ')}\n` : 'Schema is up to date.\n',
        );
      } finally {
        await store.close();
      }
    });
}

/** What detection did with an import: counts, then the cases it opened. */
function writeDetection(detection: ImportDetection): void {
  process.stdout.write(
    `  detection: ${detection.scored} accounts scored; cases opened ${detection.casesOpened}, ` +
      `updated ${detection.casesUpdated}, closed as recovered ${detection.recovered}\n`,
  );
  for (const opened of detection.opened.slice(0, 20))
    process.stdout.write(
      `    case ${opened.caseId} opened ${opened.openedAt.slice(0, 10)} for ${printable(opened.account)} (${printable(opened.accountName)}): ${printable(opened.reasons.join(', '))}\n`,
    );
  if (detection.casesOpened > 20) process.stdout.write(`    … and ${detection.casesOpened - 20} more\n`);
}

function positiveInt(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new AppError('VALIDATION_FAILED', `${flag} must be a whole number, not "${text}".`, {
      field: flag,
    });
  }
  return value;
}

function readableFileSize(file: string): number {
  try {
    accessSync(file, constants.R_OK);
    return statSync(file).size;
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new AppError('FILE_NOT_READABLE', `Cannot read "${file}" (${reason}).`, { file });
  }
}

/** A historical dataset is scored as of the day after it ends, unless told otherwise. */
function datasetClock(dir: string, asOf: string | undefined): Clock {
  const at = asOf === undefined ? ravenstackAsOf(dir) : parseTimestamp(asOf);
  if (at === null) {
    throw new AppError('INVALID_DATE', `--as-of must be a date (YYYY-MM-DD), not "${String(asOf)}".`, {
      field: '--as-of',
    });
  }
  return { now: () => new Date(at) };
}

function printRavenstack(report: RavenstackReport): void {
  process.stdout.write(
    `RavenStack as of ${report.asOf}: ${report.accounts.rows} accounts (${report.accounts.created} created, ` +
      `${report.accounts.updated} updated), ${report.signals.inserted} signals written ` +
      `(${report.signals.duplicates} duplicates skipped, ${report.orphanUsage} usage rows without a subscription), ` +
      `${report.churnEvents} churn events.\n` +
      `Scored ${report.scoring.scored} accounts (${report.scoring.withoutData} without data); detection opened ` +
      `${report.detection.casesOpened} risk cases from ${report.detection.fired} rule firings.\n`,
  );
}

/** `--map`: inline pairs or JSON, or the path of a JSON file holding the mapping. */
function mappingArgument(value: string): Record<string, string> {
  const text = value.trim();
  if (text.startsWith('{') || text.includes('=') || !existsSync(text)) return parseMappingOption(value);
  return parseMappingOption(readFileSync(text, 'utf8'));
}
