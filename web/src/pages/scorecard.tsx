// KPI scorecard: each card's value, its target and whether it is met, and its 30-day trend.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, query } from '../api/client';
import type { Items, KpiItem } from '../api/types';
import { Sparkline } from '../components/chart';
import { TeamSelect } from '../components/fields';
import { Queried } from '../components/queried';
import { Empty } from '../components/states';
import { formatKpi } from '../format';

const STATUS_TEXT: Record<KpiItem['status'], string> = {
  on_target: 'On target',
  off_target: 'Off target',
  no_target: 'No target',
  no_data: 'No data',
};
const COMPARISON_TEXT = { less_than: '<', at_most: '≤', more_than: '>', at_least: '≥' } as const;

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
                {card.series.length > 1 ? (
                  <Sparkline
                    values={card.series.map((point) => point.value)}
                    label={`${card.name} over the last ${card.series.length} days`}
                    color={card.status === 'off_target' ? '#b3261e' : '#1f5f8b'}
                  />
                ) : (
                  <p className="muted small">The trend line starts after the first daily snapshots.</p>
                )}
                {card.description && <p className="muted small">{card.description}</p>}
              </li>
            ))}
          </ul>
        )}
      </Queried>
    </section>
  );
}
