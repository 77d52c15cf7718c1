// Huddle mode: the team works through each CSM's top five risks, one CSM at a time.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import { useTeams } from '../api/hooks';
import type { Huddle } from '../api/types';
import { ReasonsEditor, StageSelect } from '../components/case-controls';
import { TeamSelect } from '../components/fields';
import { Queried } from '../components/queried';
import { ActionError, Empty } from '../components/states';
import { formatAge, formatDate, formatDays, formatMoney, formatPriority } from '../format';
import { useUser } from '../session';

export default function HuddlePage() {
  const user = useUser();
  const teams = useTeams();
  const [chosenTeam, setTeamId] = useState<number | null>(user.teamId);
  const [index, setIndex] = useState(0);
  // Someone without a team (an admin) starts on the first team.
  const teamId = chosenTeam ?? teams.data?.[0]?.id ?? null;
  const huddle = useQuery({
    queryKey: ['huddle', teamId],
    queryFn: () => api<Huddle>(`/teams/${teamId}/huddle`),
    enabled: teamId !== null,
  });
  const client = useQueryClient();
  const held = useMutation({
    mutationFn: () => api(`/teams/${teamId}/huddles`, { method: 'POST' }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['huddle'] }),
  });
  const csms = huddle.data?.csms ?? [];
  const csm = csms[Math.min(index, Math.max(0, csms.length - 1))];
  const mayRecord = user.role === 'admin' || (user.role === 'lead' && user.teamId === teamId);

  return (
    <section className="page huddle">
      <div className="page-head">
        <h1>Huddle</h1>
        <TeamSelect
          value={teamId === null ? '' : String(teamId)}
          onChange={(value) => {
            setTeamId(Number(value));
            setIndex(0);
          }}
        />
      </div>
      <Queried
        query={huddle}
        loading="Loading the huddle…"
        isEmpty={() => !csm}
        empty={<Empty title="This team has no CSMs with open cases." />}
      >
        {(data) =>
          csm && (
            <>
              <p className="muted">
                Changes since {formatDate(data.since)}
                {data.lastHeldAt
                  ? ` (last huddle ${formatAge(data.lastHeldAt)})`
                  : ' (no huddle recorded yet)'}
                .
              </p>
              <nav className="huddle-nav" aria-label="CSMs">
                <button type="button" disabled={index === 0} onClick={() => setIndex(index - 1)}>
                  ← Previous
                </button>
                <h2 aria-live="polite">
                  {csm.name}{' '}
                  <span className="muted small">
                    ({index + 1} of {csms.length}, {csm.openCases} open cases)
                  </span>
                </h2>
                <button type="button" disabled={index + 1 >= csms.length} onClick={() => setIndex(index + 1)}>
                  Next →
                </button>
              </nav>
              {csm.cases.length === 0 ? (
                <Empty title={`${csm.name} has no open cases.`} />
              ) : (
                <ol className="huddle-cases">
                  {csm.cases.map(({ case: riskCase, lastUpdate, changes }) => (
                    <li key={riskCase.id} className="card">
                      <div className="card-head">
                        <h3>
                          <Link to={`/accounts/${riskCase.accountId}`}>{riskCase.account.name}</Link>
                        </h3>
                        <span className="muted small">
                          priority {formatPriority(riskCase.priority)} · {formatMoney(riskCase.arrAtRisk)} at
                          risk · {formatDays(riskCase.timeInStageDays)} in stage
                        </span>
                      </div>
                      <div className="case-row">
                        <StageSelect riskCase={riskCase} />
                        <ReasonsEditor riskCase={riskCase} />
                      </div>
                      {lastUpdate ? (
                        <p className="small">
                          <strong>Last update ({formatAge(lastUpdate.at)}):</strong> {lastUpdate.doneSoFar}{' '}
                          Next: {lastUpdate.nextSteps}
                        </p>
                      ) : (
                        <p className="small tag-warn">No weekly update yet.</p>
                      )}
                      {changes.length > 0 && (
                        <ul className="small muted">
                          {changes.map((line) => (
                            <li key={line}>{line}</li>
                          ))}
                        </ul>
                      )}
                    </li>
                  ))}
                </ol>
              )}
              {mayRecord && (
                <div className="actions">
                  <button
                    type="button"
                    className="primary"
                    disabled={held.isPending}
                    onClick={() => held.mutate()}
                  >
                    Huddle done
                  </button>
                  <ActionError error={held.error} />
                </div>
              )}
            </>
          )
        }
      </Queried>
    </section>
  );
}
