// KPI scorecard: each card's value, its target and whether it is met, and its 30-day trend. Days
// before the first daily snapshot are backfilled from case history for the cards it can answer for,
// drawn dashed and labelled; the other cards say why their trend starts later.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, query } from '../api/client';
import type { Items, KpiItem } from '../api/types';
import { Sparkline } from '../components/chart';
import { TeamSelect } from '../components/fields';
import { Queried } from '../components/queried';
import { Empty } from '../components/states';
import { formatDate, formatKpi } from '../format';

const STATUS_TEXT: Record<KpiItem['status'], string> = {
  on_target: 'On target',
  off_target: 'Off target',
  no_target: 'No target',
  no_data: 'No data',
};
const COMPARISON_TEXT = { less_than: '<', at_most: '≤', more_than: '>', at_least: '≥' } as const;

/** The trend line, with the backfilled days told apart; or why there is no trend yet. */
function Trend({ card }: { card: KpiItem }) {
  const days = card.series.length;
  if (days <= 1)
    return (
      <p className="muted small">
        {card.history.derivable
          ? 'The trend line starts with the first day of case history.'
          : `No trend yet. ${card.history.reason ?? ''}`}
      </p>
    );
  const backfilled = card.series.filter((point) => point.backfilled);
  const lastBackfilled = backfilled[backfilled.length - 1];
  // Today's point is the value now; recorded days are the past ones a daily snapshot took.
  const recorded = card.series.slice(0, -1).some((point) => !point.backfilled);
  return (
    <>
      <Sparkline
        values={card.series.map((point) => point.value)}
        backfilled={card.series.map((point) => point.backfilled)}
        label={
          `${card.name} over the last ${days} days` +
          (backfilled.length > 0 ? `, ${backfilled.length} of them from case history, backfilled` : '')
        }
        color={card.status === 'off_target' ? '#b3261e' : '#1f5f8b'}
      />
      {lastBackfilled && (
        <p className={`kpi-legend small${card.status === 'off_target' ? ' kpi-legend-off' : ''}`}>
          <span>
            <span className="kpi-legend-backfilled" aria-hidden="true" />
            From case history, backfilled
            {recorded ? ` (to ${formatDate(lastBackfilled.day)})` : ''}
          </span>
          {recorded && (
            <span>
              <span className="kpi-legend-recorded" aria-hidden="true" />
              Recorded daily
            </span>
          )}
        </p>
      )}
    </>
  );
}

export default function ScorecardPage() {
  const [teamId, setTeamId] = useState('');
  const kpis = useQuery({
    queryKey: ['kpis', teamId],
    queryFn: () => api<Items<KpiItem>>(`/kpis${query({ teamId })}`),
  });
  return (
    <section className="page">
      <div className="page-head">
        <h1>Scorecard</h1>
        <TeamSelect value={teamId} onChange={setTeamId} anyLabel="All teams" />
      </div>
      <Queried
        query={kpis}
        isEmpty={(data) => data.items.length === 0}
        empty={<Empty title="No KPI cards configured." />}
      >
        {(data) => (
          <ul className="kpi-grid">
            {data.items.map((card) => (
              <li key={card.key} className={`kpi kpi-${card.status}`}>
                <h2>{card.name}</h2>
                <p className="kpi-value">
                  {formatKpi(card.value, card.format === 'trend' ? 'number' : card.format)}
                </p>
                <p className="kpi-target small">
                  <span className={`status-dot status-${card.status}`} aria-hidden="true" />
                  {STATUS_TEXT[card.status]}
                  {card.target &&
                    ` · target ${COMPARISON_TEXT[card.target.comparison]} ${formatKpi(card.target.value, card.format)}`}
                  {card.change !== null &&
                    ` · ${card.change > 0 ? '+' : ''}${formatKpi(card.change, card.format)} vs 30 days ago`}
                </p>
                <Trend card={card} />
                {card.description && <p className="muted small">{card.description}</p>}
              </li>
            ))}
          </ul>
        )}
      </Queried>
    </section>
  );
}
