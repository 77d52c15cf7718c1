// The monthly risk report of a team, on screen and on paper: new, saved and lost cases, top
// reasons, the matrix, cases without a current weekly update and the KPI cards, each case linking
// to its account, with the same report to download as Markdown, HTML or CSV.
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { flushSync } from 'react-dom';
import { Link, useSearchParams } from 'react-router';
import { api, query } from '../../api/client';
import { useTeams } from '../../api/hooks';
import type { MonthlyRiskReport, ReportCase } from '../../api/types';
import { SelectField, type Option } from '../../components/fields';
import { Queried } from '../../components/queried';
import { Empty } from '../../components/states';
import { formatDate, formatMoney, formatNumber } from '../../format';
import { useUser } from '../../session';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** "2026-11" for the month `back` months before the current one (UTC, as the report counts). */
function monthKey(back: number, today = new Date()): string {
  const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - back, 1));
  return `${day.getUTCFullYear()}-${String(day.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** "November 2026" from "2026-11". */
export function monthLabel(month: string): string {
  const [year, index] = month.split('-');
  return `${MONTHS[Number(index) - 1] ?? month} ${year ?? ''}`;
}

/** The current month and the eleven before it, newest first; the current one is marked as unfinished. */
const MONTH_OPTIONS: readonly Option[] = Array.from({ length: 12 }, (_, back) => {
  const month = monthKey(back);
  return { value: month, label: back === 0 ? `${monthLabel(month)} (so far)` : monthLabel(month) };
});

const CSV_TABLES = [
  { table: 'new', label: 'New risks' },
  { table: 'saved', label: 'Saved' },
  { table: 'lost', label: 'Lost' },
  { table: 'open', label: 'Open at month end' },
  { table: 'stale', label: 'Without a current update' },
] as const;

/**
 * Rows each list shows on screen before "Show all": a team's report can list thousands of cases,
 * which take seconds to draw and nobody reads on screen; the downloads and print carry them all.
 */
const ROWS_SHOWN = 25;

/** True while the page is being printed (from the Print button or the browser's own menu). */
function usePrinting(): boolean {
  const [printing, setPrinting] = useState(false);
  useEffect(() => {
    // Drawn at once, so the printout holds every row.
    const before = () => flushSync(() => setPrinting(true));
    const after = () => setPrinting(false);
    window.addEventListener('beforeprint', before);
    window.addEventListener('afterprint', after);
    return () => {
      window.removeEventListener('beforeprint', before);
      window.removeEventListener('afterprint', after);
    };
  }, []);
  return printing;
}

const sumArr = (cases: readonly ReportCase[]) => cases.reduce((total, c) => total + c.arrAtRisk, 0);
const lastDay = (to: string) => new Date(Date.parse(to) - 1).toISOString();

export default function MonthlyReportPage() {
  const user = useUser();
  const teams = useTeams();
  const [params, setParams] = useSearchParams();
  const teamId = params.get('team') ?? String(user.teamId ?? teams.data?.[0]?.id ?? '');
  const month = params.get('month') ?? monthKey(1);
  const choose = (key: 'team' | 'month', value: string) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      next.set(key, value);
      return next;
    });
  const report = useQuery({
    queryKey: ['monthly-report', teamId, month],
    queryFn: () => api<MonthlyRiskReport>(`/reports/monthly${query({ teamId, month })}`),
    enabled: teamId !== '',
  });
  const download = (format: 'md' | 'html' | 'csv', table?: string) =>
    `/api/v1/reports/monthly${query({ teamId, month, format, table })}`;

  return (
    <section className="page">
      <div className="page-head">
        <h1>Monthly risk report</h1>
      </div>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <SelectField
          label="Team"
          value={teamId}
          options={(teams.data ?? []).map((team) => ({ value: String(team.id), label: team.name }))}
          onChange={(value) => choose('team', value)}
        />
        <SelectField
          label="Month"
          value={month}
          options={MONTH_OPTIONS}
          onChange={(value) => choose('month', value)}
        />
        <button type="button" onClick={() => window.print()}>
          Print
        </button>
      </form>
      {teamId === '' ? (
        teams.isPending ? null : (
          <Empty title="No team yet.">Reports are made per team; add a team in Settings first.</Empty>
        )
      ) : (
        <>
          <p className="downloads">
            <span className="muted small">Download this report:</span>
            <a href={download('md')} download>
              Markdown
            </a>
            <a href={download('html')} download>
              HTML
            </a>
            {CSV_TABLES.map((one) => (
              <a key={one.table} href={download('csv', one.table)} download>
                CSV: {one.label}
              </a>
            ))}
          </p>
          <Queried query={report} loading="Gathering the report…">
            {(data) => <Report report={data} />}
          </Queried>
        </>
      )}
    </section>
  );
}

function Report({ report }: { report: MonthlyRiskReport }) {
  const { newCases, saved, lost, openAtEnd } = report;
  const printing = usePrinting();
  const decided = saved.length + lost.length;
  const m = report.matrix;
  const cell = (figures: { cases: number; arr: number }) =>
    `${formatNumber(figures.cases)} (${formatMoney(figures.arr)})`;
  return (
    <article aria-label={`Risk report of ${report.team.name}, ${monthLabel(report.month)}`}>
      <p className="report-title-line">
        <strong>
          {report.team.name}, {monthLabel(report.month)}
        </strong>
        . Team lead{report.team.leads.length === 1 ? '' : 's'}:{' '}
        {report.team.leads.join(', ') || 'none assigned'}. Covers {formatDate(report.from)} to{' '}
        {formatDate(lastDay(report.to))}; generated {formatDate(report.generatedAt)}.
      </p>

      <section className="report-section" aria-labelledby="report-summary">
        <h2 id="report-summary">Summary</h2>
        <div className="table-wrap">
          <table className="compact">
            <thead>
              <tr>
                <td />
                <th scope="col" className="num">
                  Cases
                </th>
                <th scope="col" className="num">
                  ARR at risk
                </th>
              </tr>
            </thead>
            <tbody>
              {(
                [
                  ['New risks', newCases],
                  ['Saved (closed, recovered)', saved],
                  ['Lost (closed, lost)', lost],
                  ['Open at month end', openAtEnd],
                ] as const
              ).map(([label, cases]) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  <td className="num">{formatNumber(cases.length)}</td>
                  <td className="num">{formatMoney(sumArr(cases))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p>
          {decided === 0
            ? 'No case was closed this month.'
            : `Save rate this month: ${Math.round((saved.length / decided) * 100)}% (${saved.length} saved of ${decided} closed).`}
        </p>
      </section>

      <section className="report-section" aria-labelledby="report-reasons">
        <h2 id="report-reasons">Top reasons</h2>
        {report.reasons.length === 0 ? (
          <p>No risk reasons this month.</p>
        ) : (
          <div className="table-wrap">
            <table className="compact">
              <thead>
                <tr>
                  <th scope="col">Reason</th>
                  <th scope="col" className="num">
                    New
                  </th>
                  <th scope="col" className="num">
                    Lost
                  </th>
                  <th scope="col" className="num">
                    Open at month end
                  </th>
                </tr>
              </thead>
              <tbody>
                {report.reasons.map((reason) => (
                  <tr key={reason.reason}>
                    <th scope="row">{reason.reason}</th>
                    <td className="num">{reason.opened}</td>
                    <td className="num">{reason.lost}</td>
                    <td className="num">{reason.openAtEnd}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="report-section" aria-labelledby="report-matrix">
        <h2 id="report-matrix">At-Risk Matrix (open at month end)</h2>
        <div className="table-wrap">
          <table className="compact">
            <caption>Cases (ARR at risk) per cell</caption>
            <thead>
              <tr>
                <td />
                <th scope="col" className="num">
                  Avoidable
                </th>
                <th scope="col" className="num">
                  Unavoidable
                </th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">Expected</th>
                <td className="num">{cell(m.expected_avoidable)}</td>
                <td className="num">{cell(m.expected_unavoidable)}</td>
              </tr>
              <tr>
                <th scope="row">Unexpected</th>
                <td className="num">{cell(m.unexpected_avoidable)}</td>
                <td className="num">{cell(m.unexpected_unavoidable)}</td>
              </tr>
            </tbody>
          </table>
        </div>
        <p>Not yet placed on the matrix: {cell(m.unplaced)}.</p>
      </section>

      <section className="report-section" aria-labelledby="report-stale">
        <h2 id="report-stale">
          Cases without a current weekly update (older than {report.updateOverdueDays} days)
        </h2>
        {report.staleUpdates.length === 0 ? (
          <p>Every open case has a current weekly update.</p>
        ) : (
          <div className="table-wrap">
            <table className="compact">
              <thead>
                <tr>
                  <th scope="col">Account</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Stage</th>
                  <th scope="col">Last update</th>
                  <th scope="col" className="num">
                    Days without update
                  </th>
                </tr>
              </thead>
              <Rows
                items={report.staleUpdates}
                printing={printing}
                columns={5}
                row={(c) => (
                  <tr key={c.caseId}>
                    <td>
                      <AccountLink report={c} />
                    </td>
                    <td>{c.owner ?? '–'}</td>
                    <td>{c.stage}</td>
                    <td>{c.lastUpdateAt ? formatDate(c.lastUpdateAt) : 'never'}</td>
                    <td className="num">{c.daysWithoutUpdate}</td>
                  </tr>
                )}
              />
            </table>
          </div>
        )}
      </section>

      <section className="report-section" aria-labelledby="report-kpis">
        <h2 id="report-kpis">KPIs</h2>
        {report.kpis.length === 0 ? (
          <p>No KPI cards.</p>
        ) : report.kpis.every((kpi) => kpi.asOf === null) ? (
          <p>No KPI snapshot was taken in this month: KPI history starts with the first daily run.</p>
        ) : (
          <div className="table-wrap">
            <table className="compact">
              <thead>
                <tr>
                  <th scope="col">KPI</th>
                  <th scope="col" className="num">
                    Value
                  </th>
                  <th scope="col">Target</th>
                  <th scope="col">Status</th>
                  <th scope="col">As of</th>
                </tr>
              </thead>
              <tbody>
                {report.kpis.map((kpi) => (
                  <tr key={kpi.name}>
                    <th scope="row">{kpi.name}</th>
                    <td className="num">{kpi.value}</td>
                    <td>{kpi.target || '–'}</td>
                    <td>{kpi.status || '–'}</td>
                    <td>{kpi.asOf ? formatDate(kpi.asOf) : 'no snapshot'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <CaseSection id="report-new" title="New risks" cases={newCases} closed={false} printing={printing} />
      <CaseSection id="report-saved" title="Saved" cases={saved} closed printing={printing} />
      <CaseSection id="report-lost" title="Lost" cases={lost} closed printing={printing} />
      <CaseSection
        id="report-open"
        title="Open at month end"
        cases={openAtEnd}
        closed={false}
        printing={printing}
      />
    </article>
  );
}

function AccountLink({ report }: { report: ReportCase }) {
  return (
    <>
      <Link to={`/accounts/${report.accountId}`}>{report.account}</Link>{' '}
      <span className="muted small">{report.externalId}</span>
    </>
  );
}

/**
 * A table body of the first ROWS_SHOWN items, then a row with a button for the rest (every row
 * while printing).
 */
function Rows<T>({
  items,
  row,
  columns,
  printing,
}: {
  items: readonly T[];
  row: (item: T) => ReactNode;
  columns: number;
  printing: boolean;
}) {
  const [all, setAll] = useState(false);
  const shown = all || printing ? items : items.slice(0, ROWS_SHOWN);
  return (
    <tbody>
      {shown.map(row)}
      {items.length > ROWS_SHOWN && !printing && (
        <tr className="more-rows">
          <td colSpan={columns}>
            <button type="button" onClick={() => setAll(!all)}>
              {all ? `Show the first ${ROWS_SHOWN}` : `Show all ${formatNumber(items.length)}`}
            </button>
          </td>
        </tr>
      )}
    </tbody>
  );
}

function CaseSection({
  id,
  title,
  cases,
  closed,
  printing,
}: {
  id: string;
  title: string;
  cases: readonly ReportCase[];
  closed: boolean;
  printing: boolean;
}) {
  return (
    <section className="report-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {cases.length === 0 ? (
        <p>None.</p>
      ) : (
        <div className="table-wrap">
          <table className="compact">
            <caption>
              {formatNumber(cases.length)} case{cases.length === 1 ? '' : 's'}, {formatMoney(sumArr(cases))}{' '}
              ARR at risk, biggest first
            </caption>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Owner</th>
                <th scope="col">{closed ? 'Closed' : 'Stage now'}</th>
                <th scope="col">Reasons</th>
                <th scope="col" className="num">
                  ARR at risk
                </th>
                <th scope="col" className="num">
                  Days open
                </th>
              </tr>
            </thead>
            <Rows
              items={cases}
              printing={printing}
              columns={6}
              row={(c) => (
                <tr key={c.caseId}>
                  <td>
                    <AccountLink report={c} />
                  </td>
                  <td>{c.owner ?? '–'}</td>
                  <td>{closed && c.closedAt ? formatDate(c.closedAt) : c.stage}</td>
                  <td>{c.reasons.join(', ') || '–'}</td>
                  <td className="num">{formatMoney(c.arrAtRisk)}</td>
                  <td className="num">{c.daysOpen}</td>
                </tr>
              )}
            />
          </table>
        </div>
      )}
    </section>
  );
}
