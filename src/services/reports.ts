// The monthly risk report of one team: gathered from the cases, updates and KPI snapshots of the
// month, and written as Markdown, HTML and CSV tables.
import { escapeHtml } from '../domain/html';
import { marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { csvRows, type CsvValue } from '../domain/csv-cell';
import { AppError } from '../domain/errors';
import { quadrantOf, QUADRANTS, type MatrixQuadrant } from '../domain/matrix';
import {
  monthName,
  reportMarkdown,
  type MonthlyRiskReport,
  type ReportCase,
  type ReportKpi,
  type StaleCase,
} from '../domain/monthly-report';
import { KpiRepository } from '../store/kpi.repository';
import { RiskCaseRepository, type TrendCaseRow } from '../store/risk-case.repository';
import type { ServiceContext } from './context';
import { describeTarget, formatKpi, STATUS_TEXT, targetStatus } from '../domain/kpi';
import type { KpiService } from './kpis';
import type { RiskConfigService } from './risk-config';
import type { UserService } from './users';

const DAY = 86_400_000;
/** Biggest ARR at risk first: what a lead looks at first. */
const byArr = <T extends ReportCase>(cases: T[]) =>
  cases.sort((a, b) => b.arrAtRisk - a.arrAtRisk || a.caseId - b.caseId);
export const REPORT_TABLES = ['new', 'saved', 'lost', 'open', 'stale'] as const;
export type ReportTable = (typeof REPORT_TABLES)[number];

function monthRange(month: string, now: Date): { from: string; to: string } {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  const year = Number(match?.[1]);
  const index = Number(match?.[2]) - 1;
  if (!match || index < 0 || index > 11)
    throw new AppError('INVALID_DATE', `month: "${month}" is not a month (YYYY-MM).`, { field: 'month' });
  const from = Date.UTC(year, index, 1);
  const end = Date.UTC(year, index + 1, 1);
  if (from > now.getTime())
    throw new AppError('INVALID_DATE', `month: ${month} has not started yet.`, { field: 'month' });
  return { from: new Date(from).toISOString(), to: new Date(Math.min(end, now.getTime())).toISOString() };
}

export class ReportService {
  constructor(
    private readonly context: ServiceContext,
    private readonly config: RiskConfigService,
    private readonly users: UserService,
    private readonly kpis: KpiService,
  ) {}

  /** The report's data for one team and month. */
  async monthly(teamId: number, month: string): Promise<MonthlyRiskReport> {
    const team = await this.users.getTeam(teamId);
    const now = this.context.clock.now();
    const { from, to } = monthRange(month, now);
    const settings = await this.config.settings();
    const repo = new RiskCaseRepository(this.context.store.db);
    const rows = (await repo.casesOpenBetween(from, to)).filter((row) => row.teamId === teamId);
    const reasonNames = new Map((await this.config.listReasons()).map((r) => [r.key, r.name]));
    const reasons = await repo.reasonsOf(rows.map((row) => row.caseId));
    const toCase = (row: TrendCaseRow): ReportCase => ({
      caseId: row.caseId,
      accountId: row.accountId,
      externalId: row.externalId,
      account: row.accountName,
      owner: row.ownerEmail,
      stage: row.stageName,
      reasons: (reasons.get(row.caseId) ?? []).map((r) => reasonNames.get(r.key) ?? r.key),
      arrAtRisk: row.arrAtRisk,
      openedAt: row.openedAt,
      closedAt: row.closedAt,
      daysOpen: Math.floor((Date.parse(row.closedAt ?? to) - Date.parse(row.openedAt)) / DAY),
    });
    const inMonth = (at: string | null) => at !== null && at >= from && at < to;
    const opened = rows.filter((row) => inMonth(row.openedAt));
    const saved = rows.filter((row) => inMonth(row.closedAt) && row.outcome === 'recovered');
    const lost = rows.filter((row) => inMonth(row.closedAt) && row.outcome === 'lost');
    const openAtEnd = rows.filter(
      (row) => row.openedAt < to && (row.closedAt === null || row.closedAt >= to),
    );

    const reasonRows = new Map<string, { reason: string; opened: number; lost: number; openAtEnd: number }>();
    const count = (list: TrendCaseRow[], field: 'opened' | 'lost' | 'openAtEnd') => {
      for (const row of list)
        for (const reason of reasons.get(row.caseId) ?? []) {
          const name = reasonNames.get(reason.key) ?? reason.key;
          const entry = reasonRows.get(name) ?? { reason: name, opened: 0, lost: 0, openAtEnd: 0 };
          entry[field] += 1;
          reasonRows.set(name, entry);
        }
    };
    count(opened, 'opened');
    count(lost, 'lost');
    count(openAtEnd, 'openAtEnd');

    const matrix = Object.fromEntries(QUADRANTS.map((q) => [q, { cases: 0, arr: 0 }])) as Record<
      MatrixQuadrant,
      { cases: number; arr: number }
    >;
    for (const row of openAtEnd) {
      const cellOf = matrix[quadrantOf(row.expected, row.avoidable)];
      cellOf.cases += 1;
      cellOf.arr += row.arrAtRisk;
    }

    const lastUpdates = await repo.lastUpdatesBefore(
      openAtEnd.map((row) => row.caseId),
      to,
    );
    const staleUpdates: StaleCase[] = openAtEnd.flatMap((row) => {
      const last = lastUpdates.get(row.caseId) ?? null;
      const days = Math.floor((Date.parse(to) - Date.parse(last ?? row.openedAt)) / DAY);
      return days > settings.updateOverdueDays
        ? [{ ...toCase(row), lastUpdateAt: last, daysWithoutUpdate: days }]
        : [];
    });

    const leads = (await this.users.listUsers())
      .filter((user) => user.teamId === teamId && user.role === 'lead' && user.active)
      .map((user) => `${user.name} <${user.email}>`);
    return {
      team: { id: team.id, name: team.name, leads },
      month,
      from,
      to,
      generatedAt: now.toISOString(),
      newCases: byArr(opened.map(toCase)),
      saved: byArr(saved.map(toCase)),
      lost: byArr(lost.map(toCase)),
      openAtEnd: byArr(openAtEnd.map(toCase)),
      reasons: [...reasonRows.values()].sort(
        (a, b) => b.opened + b.lost - (a.opened + a.lost) || a.reason.localeCompare(b.reason),
      ),
      matrix,
      staleUpdates: staleUpdates.sort((a, b) => b.daysWithoutUpdate - a.daysWithoutUpdate),
      updateOverdueDays: settings.updateOverdueDays,
      kpis: await this.kpisAt(teamId, from, to, now),
    };
  }

  /**
   * Each KPI card for the team as it stood at the end of the month: its last snapshot in the month,
   * or today's value when the month is the current one and nothing was snapshotted yet.
   */
  private async kpisAt(teamId: number, from: string, to: string, now: Date): Promise<ReportKpi[]> {
    const snapshots = new KpiRepository(this.context.store.db);
    const current = to === now.toISOString();
    const live = current
      ? new Map((await this.kpis.scorecard({ teamId })).map((card) => [card.key, card]))
      : null;
    const cards = await this.kpis.cards();
    const result: ReportKpi[] = [];
    for (const card of cards) {
      const series = await snapshots.series(
        card.key,
        teamId,
        from.slice(0, 10),
        new Date(Date.parse(to) - 1).toISOString().slice(0, 10),
      );
      const last = series.at(-1);
      const liveCard = live?.get(card.key);
      const value = current && liveCard ? liveCard.value : (last?.value ?? null);
      const asOf = current && liveCard ? now.toISOString().slice(0, 10) : (last?.day ?? null);
      const status = targetStatus(card.target, value);
      result.push({
        name: card.name,
        value: formatKpi(card.format, value),
        target: describeTarget(card.target),
        status: status === 'no_data' ? '' : STATUS_TEXT[status],
        asOf,
      });
    }
    return result;
  }

  /**
   * The name a written report is saved under: "risk-report-smb-east-2026-03.md", the CSV naming its
   * table ("…-2026-03-lost.csv"). Letters, digits and dashes only, so it goes into a header as it is.
   */
  async fileName(
    teamId: number,
    month: string,
    format: 'md' | 'html' | 'csv',
    table: ReportTable,
  ): Promise<string> {
    const team = await this.users.getTeam(teamId);
    monthRange(month, this.context.clock.now());
    const slug =
      team.name
        .normalize('NFKD')
        .replace(/\p{M}/gu, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 60)
        .replace(/-+$/, '') || `team-${team.id}`;
    return `risk-report-${slug}-${month}${format === 'csv' ? `-${table}` : ''}.${format}`;
  }

  /** The report as Markdown. */
  async markdown(teamId: number, month: string): Promise<string> {
    return reportMarkdown(await this.monthly(teamId, month));
  }

  /** The report as a self-contained HTML page. */
  async html(teamId: number, month: string): Promise<string> {
    const report = await this.monthly(teamId, month);
    return renderHtml(report);
  }

  /** One of the report's tables as CSV. */
  async csv(teamId: number, month: string, which: ReportTable): Promise<string> {
    return reportCsv(await this.monthly(teamId, month), which);
  }
}

/**
 * The policy of the written page, the same as the one the API sends with it: nothing may run or load,
 * only the page's own inline stylesheet applies. It travels inside the file for when it is opened
 * from disk, where no response header protects it.
 */
export const REPORT_PAGE_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/**
 * What the report's Markdown may become: its headings, paragraphs and tables, and links only to
 * http(s) and mailto. User text is already escaped in the Markdown; this allowlist is the second wall.
 */
const REPORT_HTML: sanitizeHtml.IOptions = {
  allowedTags: [
    'h1',
    'h2',
    'h3',
    'p',
    'em',
    'strong',
    'del',
    'code',
    'br',
    'a',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
  ],
  allowedAttributes: { a: ['href'], th: ['align'], td: ['align'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
};

/** The report's Markdown as HTML, cut down to the elements, attributes and link schemes a report uses. */
export function reportBodyHtml(markdown: string): string {
  return sanitizeHtml(marked.parse(markdown, { async: false }), REPORT_HTML);
}

export function renderHtml(report: MonthlyRiskReport): string {
  const body = reportBodyHtml(reportMarkdown(report));
  const title = `Monthly risk report: ${report.team.name}, ${monthName(report.month)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_PAGE_POLICY}">
<title>${escapeHtml(title)}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; color: #1f2328; max-width: 960px; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: 0.5rem 0; } th, td { border: 1px solid #d0d7de; padding: 4px 10px; }
th { background: #f6f8fa; text-align: left; } td[align="right"], th[align="right"] { text-align: right; }
</style>
</head>
<body>
${body}</body>
</html>
`;
}

/** One table of the report as CSV; cells that could start a spreadsheet formula are neutralised. */
export function reportCsv(report: MonthlyRiskReport, which: ReportTable): string {
  const cases: readonly (ReportCase | StaleCase)[] =
    which === 'new'
      ? report.newCases
      : which === 'saved'
        ? report.saved
        : which === 'lost'
          ? report.lost
          : which === 'open'
            ? report.openAtEnd
            : report.staleUpdates;
  const stale = which === 'stale';
  const header = [
    'account_id',
    'account',
    'owner',
    'stage',
    'reasons',
    'arr_at_risk',
    'opened_at',
    'closed_at',
    'days_open',
    ...(stale ? ['last_update_at', 'days_without_update'] : []),
  ];
  const rows = cases.map((c): CsvValue[] => [
    c.externalId,
    c.account,
    c.owner ?? '',
    c.stage,
    c.reasons.join('; '),
    c.arrAtRisk,
    c.openedAt,
    c.closedAt ?? '',
    c.daysOpen,
    ...('daysWithoutUpdate' in c ? [c.lastUpdateAt ?? '', c.daysWithoutUpdate] : []),
  ]);
  return csvRows([header, ...rows]);
}
