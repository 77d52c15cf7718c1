// Risk trends: cases by reason per month or week, split by a breakdown, with the cases behind any
// point one click away.
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { api, query } from '../api/client';
import { useReasons } from '../api/hooks';
import type { RiskTrends, TrendCase } from '../api/types';
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
  const chart = useMemo(() => {
    const data = trends.data;
    if (!data) return null;
    const totals = new Map<string, number>();
    for (const one of data.cells)
      totals.set(`${one.period}|${one.reason}`, (totals.get(`${one.period}|${one.reason}`) ?? 0) + one.cases);
    return {
      x: data.periods.map((period) => Date.parse(period.start) / 1000),
      series: data.reasons.map((reason, index) => ({
        label: names.get(reason) ?? reason,
        color: COLORS[index % COLORS.length] ?? '#1f5f8b',
        values: data.periods.map((period) => totals.get(`${period.key}|${reason}`) ?? 0),
      })),
    };
  }, [trends.data, names]);

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
      </form>
      <Queried
        query={trends}
        isEmpty={(data) => data.cells.length === 0}
        empty={<Empty title="No risk cases in this period." />}
      >
        {(data) => (
          <>
            {chart && (
              <LineChart
                x={chart.x}
                series={chart.series}
                height={280}
                label="Risk cases by reason over time"
              />
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
  const count = (period: string, reason: string, group: string | null) =>
    trends.cells.find((one) => one.period === period && one.reason === reason && one.group === group)
      ?.cases ?? 0;
  return (
    <div className="table-wrap">
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
                {period.key}
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
                          aria-label={`${cases} cases for ${names.get(reason) ?? reason} in ${period.key}${group ? `, ${group}` : ''}`}
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
