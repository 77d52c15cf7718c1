// One account: who they are, their health and why, what they have been doing, their people, and
// the risk case with its stages, reasons, matrix, weekly updates, tasks and audit trail.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError, query } from '../api/client';
import { useUsers } from '../api/hooks';
import type {
  Account,
  AccountHealth,
  CaseAuditEntry,
  Contact,
  Items,
  Page,
  RiskCase,
  RiskCaseDetail,
  Signal,
  Task,
  WeeklyUpdate,
} from '../api/types';
import {
  MatrixChoice,
  ReasonsEditor,
  SeparationSurveyView,
  StageSelect,
  useMayChange,
} from '../components/case-controls';
import {
  describeTouchpoint,
  OpenCaseForm,
  SentimentCard,
  TouchpointForm,
} from '../components/account-actions';
import { LineChart } from '../components/chart';
import { Queried } from '../components/queried';
import { ActionError, Empty, ErrorState, Loading } from '../components/states';
import { TaskList } from '../components/task-list';
import { formatDate, formatDateTime, formatDays, formatMoney, humanize, QUADRANT_NAMES } from '../format';

export default function AccountPage() {
  const id = Number(useParams().id);
  const account = useQuery({
    queryKey: ['account', id],
    queryFn: () => api<Account>(`/accounts/${id}`),
  });
  const users = useUsers();
  if (account.isPending) return <Loading label="Loading the account…" />;
  if (account.isError) return <ErrorState error={account.error} retry={() => void account.refetch()} />;
  const a = account.data;
  return (
    <article className="page account">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/accounts">Accounts</Link> / {a.name}
      </nav>
      <header className="account-head">
        <h1>{a.name}</h1>
        <dl className="facts">
          <Fact label="Account id" value={a.externalId} />
          <Fact label="ARR" value={formatMoney(a.arr)} />
          <Fact label="Tier" value={a.tier ?? '–'} />
          <Fact label="Renewal" value={a.renewalDate ? formatDate(a.renewalDate) : '–'} />
          <Fact
            label="Owner"
            value={users.data?.find((user) => user.id === a.ownerId)?.name ?? a.ownerEmail ?? 'none'}
          />
          <Fact label="Team" value={a.teamName ?? '–'} />
          <Fact label="Lifecycle" value={a.lifecycleStage ?? '–'} />
        </dl>
      </header>
      <div className="account-grid">
        <div className="col-main">
          <CaseSection account={a} />
        </div>
        <div className="col-side">
          <HealthSection accountId={id} />
          <SentimentCard account={a} />
          <ContactsSection accountId={id} />
          <SignalsSection account={a} />
        </div>
      </div>
    </article>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function HealthSection({ accountId }: { accountId: number }) {
  const health = useQuery({
    queryKey: ['account', accountId, 'health'],
    queryFn: () => api<AccountHealth>(`/accounts/${accountId}/health`),
  });
  const chart = useMemo(() => {
    const history = health.data?.history ?? [];
    return {
      x: history.map((point) => Date.parse(`${point.day}T00:00:00Z`) / 1000),
      series: [{ label: 'Health score', color: '#1f5f8b', values: history.map((point) => point.score) }],
    };
  }, [health.data]);
  return (
    <section className="card" aria-labelledby="health-title">
      <h2 id="health-title">Health</h2>
      <Queried
        query={health}
        isEmpty={(data) => !data.current}
        empty={
          <Empty title="No health score yet.">
            Scores appear once product, support or billing signals arrive.
          </Empty>
        }
      >
        {({ current, changes }) =>
          current && (
            <>
              <p className="score-line">
                <span className={`score band-${current.band.toLowerCase()}`}>{current.score}</span>{' '}
                {current.band} on {formatDate(current.day)}
              </p>
              <ul className="changes">
                {changes
                  .filter((change) => change.change !== null)
                  .map((change) => (
                    <li key={change.days}>
                      {change.days} days: {change.change! > 0 ? '+' : ''}
                      {change.change}
                    </li>
                  ))}
              </ul>
              {chart.x.length > 1 && (
                <LineChart
                  x={chart.x}
                  series={chart.series}
                  height={180}
                  label="Health score history"
                  yRange={[0, 100]}
                />
              )}
              <h3>Why</h3>
              <ul className="explanation">
                {current.explanation.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
              {current.factors.length > 0 && (
                <>
                  <h3>Costing most points</h3>
                  <ul className="explanation">
                    {current.factors.map((factor) => (
                      <li key={factor.key}>{factor.text}</li>
                    ))}
                  </ul>
                </>
              )}
            </>
          )
        }
      </Queried>
    </section>
  );
}

function ContactsSection({ accountId }: { accountId: number }) {
  const contacts = useQuery({
    queryKey: ['account', accountId, 'contacts'],
    queryFn: () => api<Items<Contact>>(`/accounts/${accountId}/contacts`),
  });
  return (
    <section className="card" aria-labelledby="contacts-title">
      <h2 id="contacts-title">Contacts</h2>
      <Queried
        query={contacts}
        isEmpty={(data) => data.items.length === 0}
        empty={<Empty title="No contacts." />}
      >
        {(data) => (
          <ul className="contacts">
            {data.items.map((contact) => (
              <li key={contact.id}>
                <strong>{contact.name ?? contact.email}</strong>
                {contact.isChampion && <span className="tag">champion</span>}
                <div className="muted small">
                  {contact.role ?? 'no role'} · {contact.email}
                </div>
              </li>
            ))}
          </ul>
        )}
      </Queried>
    </section>
  );
}

function describeSignal(signal: Signal): string {
  if (signal.kind === 'touchpoint') return describeTouchpoint(signal);
  const data = signal.data;
  const parts = Object.entries(data)
    .filter(([, value]) => value !== null && typeof value !== 'object')
    .slice(0, 3)
    .map(([key, value]) => `${humanize(key)} ${String(value)}`);
  return parts.join(', ');
}

function SignalsSection({ account }: { account: Account }) {
  const accountId = account.id;
  const signals = useQuery({
    queryKey: ['account', accountId, 'signals'],
    queryFn: () => api<Items<Signal>>(`/accounts/${accountId}/signals?limit=30`),
  });
  return (
    <section className="card" aria-labelledby="signals-title">
      <h2 id="signals-title">Signals</h2>
      <TouchpointForm account={account} />
      <Queried
        query={signals}
        isEmpty={(data) => data.items.length === 0}
        empty={<Empty title="No signals yet." />}
      >
        {(data) => (
          <ol className="timeline">
            {data.items.map((signal) => (
              <li key={signal.id}>
                <time dateTime={signal.occurredAt}>{formatDateTime(signal.occurredAt)}</time>{' '}
                <strong>{humanize(signal.kind)}</strong>{' '}
                <span className="small">{describeSignal(signal)}</span>
              </li>
            ))}
          </ol>
        )}
      </Queried>
    </section>
  );
}

function CaseSection({ account }: { account: Account }) {
  const accountId = account.id;
  const cases = useQuery({
    queryKey: ['account', accountId, 'cases'],
    queryFn: () => api<Items<RiskCase>>(`/accounts/${accountId}/risk-cases`),
  });
  if (cases.isPending) return <Loading label="Loading the risk case…" />;
  if (cases.isError) return <ErrorState error={cases.error} retry={() => void cases.refetch()} />;
  const open = cases.data.items.find((one) => one.status === 'open');
  const current = open ?? cases.data.items[0];
  // No open case: say so, offer to open one, and keep the account's tasks in view.
  const noOpenCase = !open && (
    <section className="card" aria-labelledby="no-case-title">
      <h2 id="no-case-title">{current ? 'No open risk case' : 'Risk case'}</h2>
      <Empty title={current ? 'Its last risk case is closed.' : 'This account has no risk case.'}>
        It is not at risk, as far as anyone has said.
      </Empty>
      <OpenCaseForm account={account} />
    </section>
  );
  if (!current)
    return (
      <>
        {noOpenCase}
        <AccountTasks accountId={accountId} />
      </>
    );
  return (
    <>
      {noOpenCase}
      <CaseDetail caseId={current.id} earlier={cases.data.items.filter((one) => one.id !== current.id)} />
    </>
  );
}

function CaseDetail({ caseId, earlier }: { caseId: number; earlier: RiskCase[] }) {
  const detail = useQuery({
    queryKey: ['case', caseId],
    queryFn: () => api<RiskCaseDetail>(`/risk-cases/${caseId}`),
  });
  if (detail.isPending) return <Loading label="Loading the risk case…" />;
  if (detail.isError) return <ErrorState error={detail.error} retry={() => void detail.refetch()} />;
  const riskCase = detail.data;
  return (
    <>
      <section className="card" aria-labelledby="case-title">
        <div className="card-head">
          <h2 id="case-title">
            Risk case <span className={`status status-${riskCase.status}`}>{riskCase.status}</span>
          </h2>
          <span className="muted small">
            opened {formatDate(riskCase.openedAt)} by {riskCase.source === 'rule' ? 'detection' : 'a person'}{' '}
            · open {formatDays(riskCase.totalOpenDays)}
          </span>
        </div>
        <div className="case-row">
          <div>
            <h3 className="label">Stage</h3>
            <StageSelect riskCase={riskCase} />
            <p className="muted small">{formatDays(riskCase.timeInStageDays)} in this stage</p>
          </div>
          <div className="grow">
            <h3 className="label">Reasons</h3>
            <ReasonsEditor riskCase={riskCase} />
          </div>
        </div>
        <StageTimes riskCase={riskCase} />
        <MatrixEditor riskCase={riskCase} />
        <SeparationSurveyView riskCase={riskCase} />
        {riskCase.evidence.length > 0 && (
          <>
            <h3>What detection found</h3>
            <ul className="explanation">
              {riskCase.evidence.map((item) => (
                <li key={item.id}>
                  {formatDate(item.at)}: {item.summary}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      <WeeklyUpdates riskCase={riskCase} />
      <AccountTasks accountId={riskCase.accountId} />
      <AuditTrail caseId={riskCase.id} />
      {earlier.length > 0 && (
        <section className="card">
          <h2>Earlier cases</h2>
          <ul>
            {earlier.map((one) => (
              <li key={one.id}>
                {formatDate(one.openedAt)}: {one.stage.name},{' '}
                {one.reasons.map((reason) => reason.name).join(', ')}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

function StageTimes({ riskCase }: { riskCase: RiskCaseDetail }) {
  const visited = riskCase.stageTimes.filter((stage) => stage.visits > 0 || stage.current);
  if (visited.length === 0) return null;
  return (
    <table className="compact stage-times">
      <caption>Time in each stage</caption>
      <thead>
        <tr>
          <th scope="col">Stage</th>
          <th scope="col" className="num">
            Time
          </th>
          <th scope="col" className="num">
            Visits
          </th>
        </tr>
      </thead>
      <tbody>
        {visited.map((stage) => (
          <tr key={stage.key} className={stage.current ? 'current' : undefined}>
            <td>
              {stage.name}
              {stage.current && <span className="tag">now</span>}
            </td>
            <td className="num">{stage.isEnd ? '–' : formatDays(stage.days)}</td>
            <td className="num">{stage.visits}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function MatrixEditor({ riskCase }: { riskCase: RiskCaseDetail }) {
  return (
    <div className="matrix-editor">
      <h3>At-Risk Matrix</h3>
      <div className="case-row">
        <MatrixChoice riskCase={riskCase} field="expected" />
        <MatrixChoice riskCase={riskCase} field="avoidable" />
        <dl className="facts">
          <Fact
            label="Quadrant"
            value={QUADRANT_NAMES[riskCase.matrix.quadrant] ?? riskCase.matrix.quadrant}
          />
          <Fact label="ARR at risk" value={formatMoney(riskCase.arrAtRisk)} />
          <Fact
            label="LTV"
            value={`${formatMoney(riskCase.ltv)}${riskCase.ltvSource === 'derived' ? ' (from ARR)' : ''}`}
          />
          <Fact
            label="Track"
            value={riskCase.track === 'digital' ? 'Digital (no human touch)' : 'Human (a CSM works it)'}
          />
        </dl>
      </div>
    </div>
  );
}

const SHOWN_UPDATES = 3;

function WeeklyUpdates({ riskCase }: { riskCase: RiskCaseDetail }) {
  const client = useQueryClient();
  const mayChange = useMayChange(riskCase);
  const [form, setForm] = useState({ background: '', doneSoFar: '', nextSteps: '' });
  const [showAll, setShowAll] = useState(false);
  // The newest update the writer had read when they began, so that an update someone else posts
  // meanwhile is shown to them before theirs goes in beside it.
  const [seen, setSeen] = useState<number | null | undefined>(undefined);
  const [meanwhile, setMeanwhile] = useState<WeeklyUpdate[]>([]);
  const write = useMutation({
    mutationFn: (previousUpdateId: number | null) =>
      api<WeeklyUpdate>(`/risk-cases/${riskCase.id}/updates`, {
        method: 'POST',
        body: { ...form, previousUpdateId },
      }),
    onSuccess: () => {
      setForm({ background: '', doneSoFar: '', nextSteps: '' });
      setSeen(undefined);
      setMeanwhile([]);
      void client.invalidateQueries({ queryKey: ['case', riskCase.id] });
      void client.invalidateQueries({ queryKey: ['risk-cases'] });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.code === 'VERSION_CONFLICT') {
        setMeanwhile((error.details?.meanwhile as WeeklyUpdate[] | undefined) ?? []);
        void client.invalidateQueries({ queryKey: ['case', riskCase.id] });
      }
    },
  });
  const newest = riskCase.updates[0]?.id ?? null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    write.mutate(seen === undefined ? newest : seen);
  };
  const field = (key: keyof typeof form, label: string) => (
    <label>
      {label}
      <textarea
        required
        rows={3}
        value={form[key]}
        onChange={(event) => {
          if (seen === undefined) setSeen(newest);
          setForm((current) => ({ ...current, [key]: event.target.value }));
        }}
      />
    </label>
  );
  return (
    <section className="card" aria-labelledby="updates-title">
      <div className="card-head">
        <h2 id="updates-title">Weekly updates</h2>
        {riskCase.updateOverdue && <span className="tag tag-warn">update overdue</span>}
      </div>
      {mayChange && riskCase.status === 'open' && (
        <form className="update-form" onSubmit={submit} aria-label="Write the weekly update">
          {field('background', 'Background')}
          {field('doneSoFar', "What we've done so far")}
          {field('nextSteps', 'Next steps')}
          {meanwhile.length > 0 ? (
            <div className="notice warn" role="alert">
              <p>
                {meanwhile.length === 1
                  ? 'Someone wrote an update'
                  : `${meanwhile.length} updates were written`}{' '}
                while you were writing yours:
              </p>
              {meanwhile.map((update) => (
                <blockquote key={update.id}>
                  <p className="muted small">
                    {formatDateTime(update.at)} · {update.authorEmail ?? 'system'}
                  </p>
                  <p>{update.background}</p>
                  <p>{update.doneSoFar}</p>
                  <p>{update.nextSteps}</p>
                </blockquote>
              ))}
              <p>
                Yours is kept in the form. Change it if theirs says the same, then save it, or discard it.
              </p>
              <div className="actions">
                <button
                  type="button"
                  className="primary small"
                  disabled={write.isPending}
                  onClick={() => write.mutate(meanwhile[0]?.id ?? newest)}
                >
                  Save mine as well
                </button>
                <button
                  type="button"
                  className="small"
                  onClick={() => {
                    setForm({ background: '', doneSoFar: '', nextSteps: '' });
                    setSeen(undefined);
                    setMeanwhile([]);
                  }}
                >
                  Discard mine
                </button>
              </div>
            </div>
          ) : (
            <>
              <ActionError error={write.error} />
              <button type="submit" className="primary" disabled={write.isPending}>
                {write.isPending ? 'Saving…' : 'Save update'}
              </button>
            </>
          )}
        </form>
      )}
      {riskCase.updates.length === 0 ? (
        <Empty title="No updates yet." />
      ) : (
        <ol className="updates">
          {riskCase.updates.slice(0, showAll ? undefined : SHOWN_UPDATES).map((update) => (
            <li key={update.id} className="update">
              <p className="muted small">
                {formatDateTime(update.at)} · {update.authorEmail ?? 'system'}
              </p>
              <dl>
                <dt>Background</dt>
                <dd>{update.background}</dd>
                <dt>What we've done so far</dt>
                <dd>{update.doneSoFar}</dd>
                <dt>Next steps</dt>
                <dd>{update.nextSteps}</dd>
              </dl>
            </li>
          ))}
        </ol>
      )}
      {riskCase.updates.length > SHOWN_UPDATES && (
        <button type="button" className="small" onClick={() => setShowAll(!showAll)}>
          {showAll ? 'Show the latest only' : `Show all ${riskCase.updates.length} updates`}
        </button>
      )}
    </section>
  );
}

function AccountTasks({ accountId }: { accountId: number }) {
  const tasks = useQuery({
    queryKey: ['tasks', 'account', accountId],
    queryFn: () => api<Page<Task>>(`/tasks${query({ accountId, state: 'all', limit: 20 })}`),
  });
  return (
    <section className="card" aria-labelledby="tasks-title">
      <h2 id="tasks-title">Tasks</h2>
      <Queried
        query={tasks}
        isEmpty={(data) => data.items.length === 0}
        empty={<Empty title="No tasks for this account." />}
      >
        {(data) => <TaskList tasks={data.items} />}
      </Queried>
    </section>
  );
}

function AuditTrail({ caseId }: { caseId: number }) {
  const audit = useQuery({
    queryKey: ['case', caseId, 'audit'],
    queryFn: () => api<Items<CaseAuditEntry>>(`/risk-cases/${caseId}/audit`),
  });
  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit trail</h2>
      <Queried
        query={audit}
        isEmpty={(data) => data.items.length === 0}
        empty={<Empty title="Nothing recorded yet." />}
      >
        {(data) => (
          // Scrolls on its own, so it takes keyboard focus to be scrolled without a mouse.
          <ol className="timeline audit" tabIndex={0} aria-label="Audit trail entries, newest first">
            {[...data.items].reverse().map((entry) => (
              <li key={entry.id}>
                <time dateTime={entry.at}>{formatDateTime(entry.at)}</time> <strong>{entry.title}</strong>{' '}
                <span className="small">{entry.summary}</span>{' '}
                <span className="muted small">by {entry.actorName}</span>
              </li>
            ))}
          </ol>
        )}
      </Queried>
    </section>
  );
}
