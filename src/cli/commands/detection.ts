// `retain detection backtest`: replay the detection rules over the store's own history, in memory
// and writing nothing, and judge them against the cases that closed as lost: precision, recall by
// lead time, the reasons cases would have opened with, and a table per rule. With --rules, an edited
// rule set is replayed beside the live one, with the accounts it would flag differently.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AppError } from '../../domain/errors';
import { daysBefore } from '../../domain/health';
import type { BacktestRun, DetectionBacktest } from '../../services/detection-backtest';
import { withServices } from '../run';

interface Flags {
  db?: string;
  from?: string;
  to?: string;
  rules?: string;
  json?: boolean;
}

/** A rule file: a JSON array of rules, GET /detection/rules' `{ items }`, or an exported configuration. */
export function readRulesFile(path: string): unknown[] {
  let parsed: unknown;
  try {
    // A byte-order mark (as some editors on Windows save files) is not part of the JSON.
    parsed = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new AppError(
      'VALIDATION_FAILED',
      `--rules ${path}: not a readable JSON file (${(error as Error).message}).`,
      {
        field: 'rules',
      },
    );
  }
  if (Array.isArray(parsed)) return parsed;
  if (parsed && typeof parsed === 'object') {
    const document = parsed as { items?: unknown; detectionRules?: unknown };
    if (Array.isArray(document.items)) return document.items;
    if (Array.isArray(document.detectionRules)) return document.detectionRules;
  }
  throw new AppError(
    'VALIDATION_FAILED',
    `--rules ${path}: expected an array of rules, { "items": [...] } or an exported configuration.`,
    { field: 'rules' },
  );
}

const share = (value: number | null) => (value === null ? 'n/a' : value.toFixed(3));
const pad = (text: string, width: number) => text.padEnd(width);
const num = (value: number | string, width: number) => String(value).padStart(width);

function summaryRows(run: BacktestRun): [string, string][] {
  const f = run.figures;
  return [
    ['Precision (flagged accounts that left)', share(f.precision)],
    ['Recall, 30 days or more ahead', share(f.recall[30])],
    ['Recall, 60 days or more ahead', share(f.recall[60])],
    ['Recall, 90 days or more ahead', share(f.recall[90])],
    ['Median lead time (days)', f.medianLeadDays === null ? 'n/a' : String(f.medianLeadDays)],
    ['Right reason at opening', share(f.rightReasonAtOpening)],
    ['Accounts flagged', String(f.flagged)],
    ['Cases opened', String(f.casesOpened)],
    ['Cases opened after the customer left', String(f.openedAfterChurn)],
  ];
}

function ruleTable(title: string, run: BacktestRun): string[] {
  const lines = [
    title,
    `  ${pad('rule', 22)}${num('firings', 9)}${num('on churners', 13)}${num('of firings', 12)}${num('cases opened', 14)}${num('waited alone', 14)}`,
  ];
  for (const rule of run.figures.rules) {
    lines.push(
      `  ${pad(rule.rule, 22)}${num(rule.firings, 9)}${num(rule.onChurners, 13)}${num(share(rule.precision), 12)}${num(rule.casesOpened, 14)}${num(rule.waitedAlone, 14)}`,
    );
  }
  return lines;
}

const listed = (label: string, accounts: readonly string[]) =>
  accounts.length === 0
    ? []
    : [
        `  ${label} (${accounts.length}): ${accounts.slice(0, 10).join(', ')}${accounts.length > 10 ? ', …' : ''}`,
      ];

export function formatBacktest(report: DetectionBacktest): string {
  const lines = [
    `Detection backtest ${report.from} to ${report.to}: ${report.days} days, ${report.accounts} accounts, ` +
      `${report.churned} left (cases closed as lost); replayed in ${(report.ms / 1000).toFixed(1)} s, nothing written.`,
    '',
  ];
  const live = summaryRows(report.current);
  const tried = report.candidate ? summaryRows(report.candidate) : null;
  lines.push(`  ${pad('', 42)}${num('live rules', 12)}${tried ? num('tried rules', 13) : ''}`);
  live.forEach(([label, value], index) => {
    lines.push(`  ${pad(label, 42)}${num(value, 12)}${tried ? num(tried[index]?.[1] ?? '', 13) : ''}`);
  });
  lines.push(
    '',
    'Firings count until the customer left; "on churners" fired before they left, "of firings" is their',
    'share (precision per firing); "waited alone" counts the accounts where a weak sign held with no',
    'other and opened nothing.',
    '',
    ...ruleTable('Per rule, live rules:', report.current),
  );
  if (report.candidate) lines.push('', ...ruleTable('Per rule, tried rules:', report.candidate));
  lines.push('', 'The accounts behind the figures (live rules; --json lists them all):');
  const behind = report.current.accountsBehind;
  lines.push(
    ...listed('flagged and left', behind.truePositives),
    ...listed('flagged and stayed', behind.falsePositives),
    ...listed('left without a case 30 days ahead', behind.missed),
    ...listed('opened without the reason they left for', behind.wrongReason),
  );
  if (report.difference) {
    lines.push('', 'With the tried rules:');
    lines.push(...listed('would be flagged, and are not now', report.difference.wouldOpen));
    lines.push(...listed('would no longer be flagged', report.difference.wouldNotOpen));
    if (report.difference.wouldOpen.length + report.difference.wouldNotOpen.length === 0)
      lines.push('  the same accounts would be flagged');
  }
  return `${lines.join('\n')}\n`;
}

export function detectionCommands(program: Command): void {
  const detection = program.command('detection').description('risk detection: try the rules on history');
  detection
    .command('backtest')
    .description(
      'replay the detection rules day by day over the stored history (nothing is written) and judge them against the cases that closed as lost',
    )
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .option('--from <date>', 'first day replayed (default: 180 days before --to)')
    .option('--to <date>', 'last day replayed (default: today)')
    .option('--rules <file>', 'a rule set to try beside the live one (JSON)')
    .option('--json', 'print the whole report as JSON')
    .action(async (flags: Flags) => {
      const tried = flags.rules ? readRulesFile(flags.rules) : undefined;
      await withServices(flags, async (services) => {
        const to = flags.to ?? services.clock.now().toISOString().slice(0, 10);
        const from = flags.from ?? daysBefore(to, 179);
        const report = await services.detectionBacktest.run({ from, to, ...(tried ? { rules: tried } : {}) });
        process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatBacktest(report));
      });
    });
}
