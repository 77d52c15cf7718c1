// Risk trends: cases by reason per month or week, split by a breakdown, with the cases behind any
// point one click away.
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';
import { api, query } from '../api/client';
import { useReasons } from '../api/hooks';
import type { RiskTrends, TrendCase } from '../api/types';
import type { Series } from '../components/chart';
import { LineChart } from '../components/chart';
import { Queried } from '../components/queried';
import { Empty } from '../components/states';
import { formatDate } from '../format';

const COLORS = [
  '#1f5f8b',
  '#b3261e',
  '#2e7d32',
  '#8e5b00',
  '#6a3d9a',
  '#00838f',
  '#c2185b',
  '#455a64',
  '#9e9d24',
];
const BREAKDOWNS = [
  { value: 'none', label: 'No breakdown' },
  { value: 'tier', label: 'Tier' },
  { value: 'team', label: 'Team' },
  { value: 'owner', label: 'Owner' },
  { value: 'lifecycle_stage', label: 'Lifecycle stage' },
  { value: 'stage', label: 'Case stage' },
  { value: 'track', label: 'Track' },
];

interface DrillDown {
  cases: number;
  items: TrendCase[];
}

function monthsAgo(months: number): string {
  const day = new Date();
  day.setUTCMonth(day.getUTCMonth() - months, 1);
  return day.toISOString().slice(0, 10);
}

/** At most this many lines; the rest are summed into "Other". */
const MAX_LINES = 5;

type Period = RiskTrends['periods'][number];

/** A period that has not ended yet: its count is still growing. */
const isPartial = (period: Period) => Date.parse(period.end) > Date.now();

const MONTH = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });
const WEEK = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

function periodName(period: Period, interval: RiskTrends['interval']): string {
  const start = new Date(period.start);
  return interval === 'month' ? MONTH.format(start) : `w/c ${WEEK.format(start)}`;
}

/**
 * The chart follows the breakdown: with none, a line per reason; with one, a line per group for
 * the reason chosen (or all of them). The busiest lines are drawn, the rest summed as "Other",
 * and a period that is not over is left out rather than drawn as a fall.
 */
function chartOf(data: RiskTrends, names: Map<string, string>, focus: string) {
  const byGroup = data.groups.length > 0;
  const keys = byGroup ? data.groups : data.reasons;
  const totals = new Map<string, number>();
  for (const cell of data.cells) {
    if (byGroup && focus !== 'all' && cell.reason !== focus) continue;
    const line = byGroup ? cell.group : cell.reason;
    if (line === null) continue;
    totals.set(`${cell.period}|${line}`, (totals.get(`${cell.period}|${line}`) ?? 0) + cell.cases);
  }
  const sum = (line: string) =>
    data.periods.reduce((total, period) => total + (totals.get(`${period.key}|${line}`) ?? 0), 0);
  const ranked = [...keys].filter((line) => sum(line) > 0).sort((a, b) => sum(b) - sum(a));
  const shown = ranked.length > MAX_LINES + 1 ? ranked.slice(0, MAX_LINES) : ranked;
  const rest = ranked.slice(shown.length);
  const values = (lines: string[]) =>
    data.periods.map((period) =>
      isPartial(period)
        ? null
        : lines.reduce((total, line) => total + (totals.get(`${period.key}|${line}`) ?? 0), 0),
    );
  const series: Series[] = shown.map((line, index) => ({
    label: byGroup ? line : (names.get(line) ?? line),
    color: COLORS[index % COLORS.length] ?? '#1f5f8b',
    values: values([line]),
  }));
  if (rest.length > 0)
    series.push({ label: `Other (${rest.length})`, color: '#8a8f98', values: values(rest) });
  const what = data.measure === 'opened' ? 'Risk cases opened' : 'Open risk cases';
  const breakdownName = BREAKDOWNS.find((option) => option.value === data.breakdown)?.label.toLowerCase();
  const title = byGroup
    ? `${what} by ${breakdownName ?? 'group'}${focus === 'all' ? ', all reasons' : `, ${names.get(focus) ?? focus}`}`
    : `${what} by reason`;
  return { x: data.periods.map((period) => Date.parse(period.start) / 1000), series, title };
}

export default function TrendsPage() {
  const reasons = useReasons();
  const [interval, setPer] = useState<'month' | 'week'>('month');
  const [measure, setMeasure] = useState<'opened' | 'open'>('opened');
  const [breakdown, setBreakdown] = useState('none');
  const [cell, setCell] = useState<{ period: string; reason: string; group: string | null } | null>(null);
  const params = { interval, measure, breakdown, from: monthsAgo(interval === 'month' ? 11 : 3) };
  const trends = useQuery({
    queryKey: ['trends', params],
    queryFn: () => api<RiskTrends>(`/risk-trends${query(params)}`),
  });
  const names = useMemo(
    () => new Map((reasons.data ?? []).map((reason) => [reason.key, reason.name])),
    [reasons.data],
  );
  const [focus, setFocus] = useState('all');
  const chart = useMemo(
    () => (trends.data ? chartOf(trends.data, names, focus) : null),
    [trends.data, names, focus],
  );
  const partial = trends.data?.periods.find(isPartial);

  return (
    <section className="page">
      <div className="page-head">
        <h1>Risk trends</h1>
      </div>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Count
          <select
            aria-label="Count"
            value={measure}
            onChange={(event) => setMeasure(event.target.value as 'opened' | 'open')}
          >
            <option value="opened">Cases opened in the period</option>
            <option value="open">Cases open at the period's end</option>
          </select>
        </label>
        <label>
          Per
          <select
            aria-label="Per"
            value={interval}
            onChange={(event) => setPer(event.target.value as 'month' | 'week')}
          >
            <option value="month">Month (last 12)</option>
            <option value="week">Week (last 3 months)</option>
          </select>
        </label>
        <label>
          Breakdown
          <select
            aria-label="Breakdown"
            value={breakdown}
            onChange={(event) => setBreakdown(event.target.value)}
          >
            {BREAKDOWNS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        {breakdown !== 'none' && (
          <label>
            Reason in the chart
            <select value={focus} onChange={(event) => setFocus(event.target.value)}>
              <option value="all">All reasons (a case counts once per reason)</option>
              {(trends.data?.reasons ?? []).map((reason) => (
                <option key={reason} value={reason}>
                  {names.get(reason) ?? reason}
                </option>
              ))}
            </select>
          </label>
        )}
      </form>
      <Queried
        query={trends}
        isEmpty={(data) => data.cells.length === 0}
        empty={<Empty title="No risk cases in this period." />}
      >
        {(data) => (
          <>
            {chart && (
              <figure className="trend-chart">
                <figcaption>{chart.title}</figcaption>
                <LineChart x={chart.x} series={chart.series} height={280} label={chart.title} />
                {partial && (
                  <p className="muted small">
                    {periodName(partial, data.interval)} is not over yet: its cases so far are in the table,
                    not in the chart.
                  </p>
                )}
              </figure>
            )}
            <TrendTable trends={data} names={names} select={setCell} />
            {cell && (
              <DrillDownList params={{ ...params, ...cell }} names={names} close={() => setCell(null)} />
            )}
          </>
        )}
      </Queried>
    </section>
  );
}

function TrendTable({
  trends,
  names,
  select,
}: {
  trends: RiskTrends;
  names: Map<string, string>;
  select: (cell: { period: string; reason: string; group: string | null }) => void;
}) {
  const groups = trends.groups.length > 0 ? trends.groups : [null];
  // The newest periods are the ones people look at: the table opens scrolled to them.
  const wrap = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = wrap.current;
    if (element) element.scrollLeft = element.scrollWidth;
  }, [trends]);
  const count = (period: string, reason: string, group: string | null) =>
    trends.cells.find((one) => one.period === period && one.reason === reason && one.group === group)
      ?.cases ?? 0;
  return (
    <div className="table-wrap" ref={wrap} tabIndex={0} aria-label="Cases by period; scrolls sideways">
      <table className="compact trends">
        <caption>
          Cases by reason{trends.groups.length > 0 ? ' and group' : ''}; choose a number to see its cases
        </caption>
        <thead>
          <tr>
            <th scope="col">Reason</th>
            {trends.groups.length > 0 && <th scope="col">Group</th>}
            {trends.periods.map((period) => (
              <th key={period.key} scope="col" className="num">
                {periodName(period, trends.interval)}
                {isPartial(period) ? ' (so far)' : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {trends.reasons.flatMap((reason) =>
            groups.map((group) => (
              <tr key={`${reason}|${group ?? ''}`}>
                <th scope="row">{names.get(reason) ?? reason}</th>
                {trends.groups.length > 0 && <td>{group}</td>}
                {trends.periods.map((period) => {
                  const cases = count(period.key, reason, group);
                  return (
                    <td key={period.key} className="num">
                      {cases === 0 ? (
                        <span className="muted">0</span>
                      ) : (
                        <button
                          type="button"
                          className="link-button"
                          aria-label={`${cases} cases for ${names.get(reason) ?? reason} in ${periodName(period, trends.interval)}${group ? `, ${group}` : ''}`}
                          onClick={() => select({ period: period.key, reason, group })}
                        >
                          {cases}
                        </button>
                      )}
                    </td>
                  );
                })}
              </tr>
            )),
          )}
        </tbody>
      </table>
    </div>
  );
}

function DrillDownList({
  params,
  names,
  close,
}: {
  params: Record<string, string | null>;
  names: Map<string, string>;
  close: () => void;
}) {
  const drill = useQuery({
    queryKey: ['trends', 'drill', params],
    queryFn: () => api<DrillDown>(`/risk-trends/drill-down${query(params)}`),
  });
  return (
    <section className="card drill" aria-labelledby="drill-title">
      <div className="card-head">
        <h2 id="drill-title">
          {names.get(params.reason ?? '') ?? params.reason} in {params.period}
          {params.group ? `, ${params.group}` : ''}
        </h2>
        <button type="button" className="small" onClick={close}>
          Close
        </button>
      </div>
      <Queried query={drill}>
        {(data) => (
          <table className="compact">
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Opened</th>
                <th scope="col">Closed</th>
                <th scope="col">Reasons</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((item) => (
                <tr key={item.caseId}>
                  <td>
                    <Link to={`/accounts/${item.accountId}`}>{item.accountName}</Link>
                  </td>
                  <td>{formatDate(item.openedAt)}</td>
                  <td>{item.closedAt ? formatDate(item.closedAt) : 'open'}</td>
                  <td>{item.reasons.map((reason) => names.get(reason) ?? reason).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Queried>
    </section>
  );
}
