// The monthly risk report for a team lead: what came in, what was saved and lost, why, where the
// open risks sit on the matrix, which cases lack a current weekly update, and the KPI cards against
// target. Built as data, then written as Markdown (the HTML and CSV forms come from the same data).
import { MONTH_NAMES } from './values';
import type { MatrixQuadrant } from './matrix';

export interface ReportCase {
  caseId: number;
  accountId: number;
  externalId: string;
  account: string;
  owner: string | null;
  stage: string;
  reasons: string[];
  arrAtRisk: number;
  openedAt: string;
  closedAt: string | null;
  daysOpen: number;
}

export interface StaleCase extends ReportCase {
  lastUpdateAt: string | null;
  /** Days since the last update (or since opening) at the end of the month. */
  daysWithoutUpdate: number;
}

export interface ReportKpi {
  name: string;
  value: string;
  target: string;
  status: string;
  /** Where the value comes from: the snapshot at month end, or today's value for the current month. */
  asOf: string | null;
}

export interface MonthlyRiskReport {
  team: { id: number; name: string; leads: string[] };
  month: string;
  /** First instant of the month and first instant after it (or now, for the current month). */
  from: string;
  to: string;
  generatedAt: string;
  newCases: ReportCase[];
  saved: ReportCase[];
  lost: ReportCase[];
  openAtEnd: ReportCase[];
  reasons: { reason: string; opened: number; lost: number; openAtEnd: number }[];
  matrix: Record<MatrixQuadrant, { cases: number; arr: number }>;
  staleUpdates: StaleCase[];
  updateOverdueDays: number;
  kpis: ReportKpi[];
}

const money = (value: number) => Math.round(value).toLocaleString('en-US');
const sum = (cases: readonly ReportCase[]) => cases.reduce((total, c) => total + c.arrAtRisk, 0);
const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '-');

/**
 * Text as Markdown that any CommonMark/GFM viewer shows as exactly that text, on one line: no HTML,
 * no emphasis, no links (inline, angle-bracket or bare URL). Mail addresses stay mailto links.
 */
export function markdownText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_~[\]<>|]/g, '\\$&')
    .replace(/&(?=#?[a-z0-9]+;)/gi, '\\&')
    .replace(/:\/\//g, '\\://')
    .replace(/\b(www)\./gi, '$1\\.');
}

/** Every table cell is text, generated figures and user text alike. */
const cell = markdownText;

function table(headers: string[], align: ('l' | 'r')[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [
    line(headers),
    `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

/** "March 2026" from "2026-03". */
export function monthName(month: string): string {
  const [year, index] = month.split('-');
  return `${MONTH_NAMES[Number(index) - 1] ?? month} ${year ?? ''}`;
}

function caseTable(cases: readonly ReportCase[], closed: boolean): string {
  if (cases.length === 0) return '_None._';
  return table(
    ['Account', 'Owner', closed ? 'Closed' : 'Stage now', 'Reasons', 'ARR at risk', 'Days open'],
    ['l', 'l', 'l', 'l', 'r', 'r'],
    cases.map((c) => [
      `${c.account} (${c.externalId})`,
      c.owner ?? '-',
      closed ? day(c.closedAt) : c.stage,
      c.reasons.join(', ') || '-',
      money(c.arrAtRisk),
      String(c.daysOpen),
    ]),
  );
}

/** The report as Markdown a team lead can read as is. */
export function reportMarkdown(report: MonthlyRiskReport): string {
  const { newCases, saved, lost, openAtEnd } = report;
  const decided = saved.length + lost.length;
  const saveRate = decided === 0 ? null : Math.round((saved.length / decided) * 100);
  const m = report.matrix;
  const quadrant = (key: MatrixQuadrant) => `${m[key].cases} (${money(m[key].arr)})`;
  const sections = [
    `# Monthly risk report: ${markdownText(report.team.name)}, ${monthName(report.month)}`,
    `Team lead${report.team.leads.length === 1 ? '' : 's'}: ${markdownText(report.team.leads.join(', ')) || 'none assigned'}. ` +
      `Generated ${day(report.generatedAt)}; covers ${day(report.from)} to ${day(new Date(Date.parse(report.to) - 1).toISOString())}.`,
    '## Summary',
    table(
      ['', 'Cases', 'ARR at risk'],
      ['l', 'r', 'r'],
      [
        ['New risks', String(newCases.length), money(sum(newCases))],
        ['Saved (closed, recovered)', String(saved.length), money(sum(saved))],
        ['Lost (closed, lost)', String(lost.length), money(sum(lost))],
        ['Open at month end', String(openAtEnd.length), money(sum(openAtEnd))],
      ],
    ),
    saveRate === null
      ? 'No case was closed this month.'
      : `Save rate this month: ${saveRate}% (${saved.length} saved of ${decided} closed).`,
    '## Top reasons',
    report.reasons.length === 0
      ? '_No risk reasons this month._'
      : table(
          ['Reason', 'New', 'Lost', 'Open at month end'],
          ['l', 'r', 'r', 'r'],
          report.reasons.map((r) => [r.reason, String(r.opened), String(r.lost), String(r.openAtEnd)]),
        ),
    '## At-Risk Matrix (open at month end)',
    table(
      ['', 'Avoidable', 'Unavoidable'],
      ['l', 'r', 'r'],
      [
        ['Expected', quadrant('expected_avoidable'), quadrant('expected_unavoidable')],
        ['Unexpected', quadrant('unexpected_avoidable'), quadrant('unexpected_unavoidable')],
      ],
    ),
    `Not yet placed on the matrix: ${quadrant('unplaced')}. Cases (ARR at risk) per cell.`,
    `## Cases without a current weekly update (older than ${report.updateOverdueDays} days)`,
    report.staleUpdates.length === 0
      ? '_Every open case has a current weekly update._'
      : table(
          ['Account', 'Owner', 'Stage', 'Last update', 'Days without update'],
          ['l', 'l', 'l', 'l', 'r'],
          report.staleUpdates.map((c) => [
            `${c.account} (${c.externalId})`,
            c.owner ?? '-',
            c.stage,
            c.lastUpdateAt ? day(c.lastUpdateAt) : 'never',
            String(c.daysWithoutUpdate),
          ]),
        ),
    '## KPIs',
    report.kpis.length === 0
      ? '_No KPI cards._'
      : report.kpis.every((k) => k.asOf === null)
        ? '_No KPI snapshot was taken in this month: KPI history starts with the first daily run._'
        : table(
            ['KPI', 'Value', 'Target', 'Status', 'As of'],
            ['l', 'r', 'l', 'l', 'l'],
            report.kpis.map((k) => [
              k.name,
              k.value,
              k.target || '-',
              k.status || '-',
              k.asOf ?? 'no snapshot',
            ]),
          ),
    '## New risks',
    caseTable(newCases, false),
    '## Saved',
    caseTable(saved, true),
    '## Lost',
    caseTable(lost, true),
  ];
  return `${sections.join('\n\n')}\n`;
}
