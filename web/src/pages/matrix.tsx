// The At-Risk Matrix: expected/unexpected x avoidable/unavoidable, counts and ARR per quadrant,
// each a link to its cases on the worklist.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, query } from '../api/client';
import type { MatrixCell, Quadrant } from '../api/types';
import { TeamSelect } from '../components/fields';
import { Queried } from '../components/queried';
import { Empty } from '../components/states';
import { formatMoney, formatNumber, QUADRANT_NAMES } from '../format';

const GUIDANCE: Record<Quadrant, string> = {
  unexpected_avoidable: 'Work these first: a surprise you can still prevent.',
  expected_avoidable: 'Known risks you can act on: keep the plan moving.',
  unexpected_unavoidable: 'Learn from these: find the early signs next time.',
  expected_unavoidable: 'Digital track: manage the exit, keep the door open.',
  unplaced: 'Decide expected and avoidable so these can be prioritised.',
};

export default function MatrixPage() {
  const [teamId, setTeamId] = useState('');
  const matrix = useQuery({
    queryKey: ['matrix', teamId],
    queryFn: () => api<{ cells: MatrixCell[] }>(`/risk-cases/matrix${query({ teamId })}`),
  });
  const cell = (quadrant: Quadrant) => matrix.data?.cells.find((one) => one.quadrant === quadrant);
  const box = (quadrant: Quadrant) => {
    const found = cell(quadrant);
    return (
      <Link className={`quadrant q-${quadrant}`} to={`/${query({ quadrant, teamId })}`}>
        <span className="q-name">{QUADRANT_NAMES[quadrant]}</span>
        <span className="q-count">{formatNumber(found?.cases ?? 0)} cases</span>
        <span className="q-arr">{formatMoney(found?.arrAtRisk ?? 0)} ARR at risk</span>
        <span className="q-ltv muted small">{formatMoney(found?.ltv ?? 0)} lifetime value</span>
        <span className="q-hint small">{GUIDANCE[quadrant]}</span>
      </Link>
    );
  };
  const total = (matrix.data?.cells ?? []).reduce((sum, one) => sum + one.cases, 0);
  return (
    <section className="page">
      <div className="page-head">
        <h1>At-Risk Matrix</h1>
        <TeamSelect value={teamId} onChange={setTeamId} anyLabel="All teams" />
      </div>
      <Queried query={matrix} isEmpty={() => total === 0} empty={<Empty title="No open risk cases." />}>
        {() => (
          <>
            <div className="matrix" role="group" aria-label="Open cases by quadrant">
              <span className="axis axis-top-left" />
              <span className="axis axis-col">Avoidable</span>
              <span className="axis axis-col">Unavoidable</span>
              <span className="axis axis-row">Unexpected</span>
              {box('unexpected_avoidable')}
              {box('unexpected_unavoidable')}
              <span className="axis axis-row">Expected</span>
              {box('expected_avoidable')}
              {box('expected_unavoidable')}
            </div>
            <div className="matrix-unplaced">{box('unplaced')}</div>
          </>
        )}
      </Queried>
    </section>
  );
}
