// Segments: every saved segment with its live count and what uses it; the editor, whose filter is
// checked as it is typed (where it goes wrong, or how many accounts it matches and the first of
// them); and a segment's page with its members, who entered and left when, and a way into a play.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { Link, Route, Routes, useNavigate, useParams, useSearchParams } from 'react-router';
import { FIELD_NAMES } from '../../../src/domain/segment-filter';
import { api, ApiError, query } from '../api/client';
import type {
  Items,
  KpiCard,
  MembershipEvent,
  Page,
  Play,
  Segment,
  SegmentMember,
  SegmentRefresh,
} from '../api/types';
import { HealthBadge } from '../components/case-controls';
import { TextField } from '../components/fields';
import { Queried } from '../components/queried';
import { ActionError, Empty, ErrorState, Loading } from '../components/states';
import { formatAge, formatDate, formatDateTime, formatMoney, formatNumber } from '../format';
import { useCan } from '../session';
import NotFoundPage from './not-found';

const MEMBERS_PAGE = 25;
const HISTORY_PAGE = 20;
const PREVIEW_SIZE = 5;
const CHECK_DELAY_MS = 350;

export default function SegmentsPage() {
  return (
    <Routes>
      <Route index element={<SegmentList />} />
      <Route path="new" element={<NewSegment />} />
      <Route path=":id" element={<SegmentDetail />} />
      <Route path=":id/edit" element={<EditSegment />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}

// ---------------------------------------------------------------------------------------------
// Shared queries

const useSegments = () =>
  useQuery({ queryKey: ['segments'], queryFn: () => api<Items<Segment>>('/segments') });

function useSegment(id: number) {
  return useQuery({
    queryKey: ['segments', id],
    queryFn: () => api<Segment>(`/segments/${id}`),
    enabled: Number.isInteger(id) && id > 0,
  });
}

interface Use {
  kind: 'play' | 'kpi';
  name: string;
  detail: string;
}

/** What listens to each segment, by key: plays triggered by entering or leaving it, KPI cards over it. */
function useUses(): Map<string, Use[]> {
  const plays = useQuery({ queryKey: ['plays'], queryFn: () => api<Items<Play>>('/plays') });
  const cards = useQuery({ queryKey: ['kpi-cards'], queryFn: () => api<Items<KpiCard>>('/kpis/cards') });
  const uses = new Map<string, Use[]>();
  const add = (key: string, use: Use) => uses.set(key, [...(uses.get(key) ?? []), use]);
  for (const play of plays.data?.items ?? []) {
    const trigger = play.definition.trigger;
    if (trigger.kind === 'segment_entered' || trigger.kind === 'segment_left')
      add(trigger.segment, {
        kind: 'play',
        name: play.name,
        detail: `${trigger.kind === 'segment_entered' ? 'on entry' : 'on exit'}${play.active ? '' : ', off'}`,
      });
  }
  for (const card of cards.data?.items ?? [])
    if (card.segment !== null) add(card.segment, { kind: 'kpi', name: card.name, detail: 'KPI card' });
  return uses;
}

function UsesList({ uses }: { uses: readonly Use[] }) {
  if (uses.length === 0) return <span className="muted">Nothing yet</span>;
  return (
    <ul className="plain uses">
      {uses.map((use, index) => (
        <li key={index}>
          {use.kind === 'play' ? 'Play: ' : ''}
          {use.name} <span className="muted small">({use.detail})</span>
        </li>
      ))}
    </ul>
  );
}

function describeUses(uses: readonly Use[]): string {
  const plays = uses.filter((use) => use.kind === 'play').length;
  const cards = uses.length - plays;
  const parts = [
    plays > 0 ? `${plays} ${plays === 1 ? 'play' : 'plays'}` : '',
    cards > 0 ? `${cards} KPI ${cards === 1 ? 'card' : 'cards'}` : '',
  ].filter(Boolean);
  return parts.join(' and ');
}

// ---------------------------------------------------------------------------------------------
// The list

function SegmentList() {
  const can = useCan();
  const navigate = useNavigate();
  const segments = useSegments();
  const uses = useUses();
  const mayEdit = can('segments.write');
  return (
    <section className="page">
      <div className="page-head">
        <h1>Segments</h1>
        <p className="muted">
          Saved filters over your accounts. Plays start when an account enters or leaves one; KPI cards
          measure them.
        </p>
        {mayEdit && (
          <button type="button" className="primary" onClick={() => void navigate('/segments/new')}>
            New segment
          </button>
        )}
      </div>
      <Queried
        query={segments}
        loading="Loading segments…"
        isEmpty={(data) => data.items.length === 0}
        empty={<Empty title="No segments yet.">{mayEdit && 'Create one with New segment.'}</Empty>}
      >
        {(data) => (
          <div className="table-wrap">
            <table className="segments">
              <caption className="visually-hidden">Saved segments</caption>
              <thead>
                <tr>
                  <th scope="col">Segment</th>
                  <th scope="col" className="num">
                    Members
                  </th>
                  <th scope="col">Used by</th>
                  <th scope="col">Last refreshed</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((segment) => (
                  <tr key={segment.id} data-segment-key={segment.key}>
                    <td>
                      <Link to={`/segments/${segment.id}`}>{segment.name}</Link>
                      {segment.description && <div className="muted small">{segment.description}</div>}
                    </td>
                    <td className="num">
                      {segment.refreshedAt === null ? (
                        <span className="muted">not counted yet</span>
                      ) : (
                        formatNumber(segment.memberCount)
                      )}
                    </td>
                    <td>
                      <UsesList uses={uses.get(segment.key) ?? []} />
                    </td>
                    <td title={segment.refreshedAt ? formatDateTime(segment.refreshedAt) : undefined}>
                      {formatAge(segment.refreshedAt)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Queried>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// The editor

function NewSegment() {
  return (
    <section className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/segments">Segments</Link> / New
      </nav>
      <h1>New segment</h1>
      <SegmentForm />
    </section>
  );
}

function EditSegment() {
  const id = Number(useParams().id);
  const segment = useSegment(id);
  if (!Number.isInteger(id) || id <= 0) return <NotFoundPage />;
  if (segment.isPending) return <Loading label="Loading the segment…" />;
  if (segment.isError) return <ErrorState error={segment.error} retry={() => void segment.refetch()} />;
  return (
    <section className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/segments">Segments</Link> /{' '}
        <Link to={`/segments/${segment.data.id}`}>{segment.data.name}</Link> / Edit
      </nav>
      <h1>Edit {segment.data.name}</h1>
      <SegmentForm segment={segment.data} />
    </section>
  );
}

interface Draft {
  name: string;
  description: string;
  filter: string;
}

const FIELD_LABELS: Record<keyof Draft, string> = {
  name: 'Name',
  description: 'Description',
  filter: 'Filter',
};

const draftOf = (segment: Segment): Draft => ({
  name: segment.name,
  description: segment.description ?? '',
  filter: segment.filter,
});

const changedFields = (from: Draft, to: Draft) =>
  (Object.keys(FIELD_LABELS) as (keyof Draft)[]).filter((field) => from[field] !== to[field]);

/** The value after `delay` ms without a change. */
function useSettled<T>(value: T, delay: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), delay);
    return () => window.clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

function SegmentForm({ segment }: { segment?: Segment }) {
  const can = useCan();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [draft, setDraft] = useState<Draft>(
    segment ? draftOf(segment) : { name: '', description: '', filter: '' },
  );
  // What this edit started from: a save changes only the fields changed since, at this version.
  const [base, setBase] = useState<{ version: number; draft: Draft } | null>(
    segment ? { version: segment.version, draft: draftOf(segment) } : null,
  );
  const [conflict, setConflict] = useState<Segment | null>(null);
  const set = (changes: Partial<Draft>) => setDraft((current) => ({ ...current, ...changes }));

  const saved = (result: Segment) => {
    void client.invalidateQueries({ queryKey: ['segments'] });
    client.setQueryData(['segments', result.id], result);
    void navigate(`/segments/${result.id}`);
  };
  const create = useMutation({
    mutationFn: () =>
      api<Segment>('/segments', {
        method: 'POST',
        body: { name: draft.name, description: draft.description || null, filter: draft.filter },
      }),
    onSuccess: saved,
  });
  const update = useMutation({
    mutationFn: (input: { version: number; fields: (keyof Draft)[] }) => {
      const body: Record<string, unknown> = { version: input.version };
      for (const field of input.fields)
        body[field] = field === 'description' ? draft.description || null : draft[field];
      return api<Segment>(`/segments/${segment?.id ?? 0}`, { method: 'PATCH', body });
    },
    onSuccess: saved,
    onError: (error) => {
      if (!(error instanceof ApiError) || error.code !== 'VERSION_CONFLICT' || !base) return;
      const current = error.details?.current as Segment | undefined;
      if (!current) return;
      const theirs = changedFields(base.draft, draftOf(current));
      const mine = changedFields(base.draft, draft);
      // They changed other fields than mine: saving mine undoes nothing of theirs.
      if (theirs.every((field) => !mine.includes(field))) {
        setBase({ version: current.version, draft: draftOf(current) });
        update.mutate({ version: current.version, fields: mine });
      } else setConflict(current);
    },
  });

  if (!can('segments.write'))
    return (
      <p className="notice">
        Only leads and admins change segments. <Link to="/segments">Back to the segments</Link>.
      </p>
    );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!segment || !base) return create.mutate();
    const fields = changedFields(base.draft, draft);
    if (fields.length === 0) return void navigate(`/segments/${segment.id}`);
    update.mutate({ version: base.version, fields });
  };
  const saveOverTheirs = () => {
    if (!conflict) return;
    const theirs = draftOf(conflict);
    setBase({ version: conflict.version, draft: theirs });
    setConflict(null);
    update.mutate({ version: conflict.version, fields: changedFields(theirs, draft) });
  };
  const takeTheirs = () => {
    if (!conflict) return;
    setDraft(draftOf(conflict));
    setBase({ version: conflict.version, draft: draftOf(conflict) });
    setConflict(null);
    update.reset();
  };
  const pending = create.isPending || update.isPending;

  return (
    <form
      className="card segment-form"
      aria-label={segment ? `Edit ${segment.name}` : 'New segment'}
      onSubmit={submit}
    >
      <div className="field-row">
        <TextField
          className="grow"
          label="Name"
          required
          value={draft.name}
          onChange={(name) => set({ name })}
        />
      </div>
      <TextField
        label="Description"
        long
        value={draft.description}
        onChange={(description) => set({ description })}
      />
      <FilterInput value={draft.filter} onChange={(filter) => set({ filter })} />
      {conflict && base ? (
        <ConflictNotice
          mine={draft}
          base={base.draft}
          theirs={conflict}
          pending={pending}
          saveMine={saveOverTheirs}
          takeTheirs={takeTheirs}
        />
      ) : (
        <ActionError error={create.error ?? update.error} />
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={pending || conflict !== null}>
          {segment ? 'Save changes' : 'Save segment'}
        </button>
        <Link to={segment ? `/segments/${segment.id}` : '/segments'}>Cancel</Link>
      </div>
      {segment && <DeleteSegment segment={segment} />}
    </form>
  );
}

function ConflictNotice({
  mine,
  base,
  theirs,
  pending,
  saveMine,
  takeTheirs,
}: {
  mine: Draft;
  base: Draft;
  theirs: Segment;
  pending: boolean;
  saveMine: () => void;
  takeTheirs: () => void;
}) {
  const now = draftOf(theirs);
  const changed = changedFields(base, now);
  return (
    <div className="notice warn" role="alert">
      <p>
        Someone else changed this segment while you were editing it ({formatDateTime(theirs.updatedAt)}).
        Nothing of yours is saved yet.
      </p>
      <ul>
        {changed.map((field) => (
          <li key={field}>
            {FIELD_LABELS[field]} is now{' '}
            {now[field] ? <code className="code">{now[field]}</code> : <span className="muted">empty</span>}
            {mine[field] !== now[field] && (
              <>
                ; yours:{' '}
                {mine[field] ? (
                  <code className="code">{mine[field]}</code>
                ) : (
                  <span className="muted">empty</span>
                )}
              </>
            )}
          </li>
        ))}
      </ul>
      <div className="actions">
        <button type="button" className="primary small" disabled={pending} onClick={saveMine}>
          Save mine over theirs
        </button>
        <button type="button" className="small" onClick={takeTheirs}>
          Load their version
        </button>
      </div>
    </div>
  );
}

function DeleteSegment({ segment }: { segment: Segment }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const uses = useUses().get(segment.key) ?? [];
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () => api<undefined>(`/segments/${segment.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      client.removeQueries({ queryKey: ['segments', segment.id] });
      void client.invalidateQueries({ queryKey: ['segments'] });
      void navigate('/segments');
    },
  });
  if (!confirming)
    return (
      <div className="panel">
        <button type="button" onClick={() => setConfirming(true)}>
          Delete segment
        </button>
      </div>
    );
  return (
    <div className="panel notice warn" role="alertdialog" aria-labelledby="delete-question">
      <p id="delete-question">
        Delete “{segment.name}”? Its membership history goes with it.
        {uses.length > 0 &&
          ` It is used by ${describeUses(uses)}: plays on it no longer start and its cards show no value.`}
      </p>
      <ActionError error={remove.error} />
      <div className="actions">
        <button type="button" className="primary" disabled={remove.isPending} onClick={() => remove.mutate()}>
          Delete for good
        </button>
        <button type="button" autoFocus onClick={() => setConfirming(false)}>
          Keep it
        </button>
      </div>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// The filter, checked as it is typed

interface Preview {
  count: number;
  items: SegmentMember[];
}

/** Where a position (1-based, as the API gives it) falls: its line, and the column on that line. */
function locate(source: string, position: number) {
  const index = Math.min(Math.max(position - 1, 0), source.length);
  const lineStart = source.lastIndexOf('\n', index - 1) + 1;
  const newline = source.indexOf('\n', index);
  const lineEnd = newline === -1 ? source.length : newline;
  return {
    // Tabs as one space each, so the caret line below stays aligned.
    line: source.slice(lineStart, lineEnd).replace(/\t/g, ' '),
    lineNumber: source.slice(0, lineStart).split('\n').length,
    column: index - lineStart,
  };
}

function FilterError({ source, error }: { source: string; error: ApiError }) {
  const position = typeof error.details?.position === 'number' ? error.details.position : null;
  const token = typeof error.details?.token === 'string' ? error.details.token : '';
  if (position === null) return <p className="action-error">{error.message}</p>;
  const { line, lineNumber, column } = locate(source, position);
  const length = token && line.slice(column).startsWith(token) ? token.length : column < line.length ? 1 : 0;
  const multiline = source.includes('\n');
  return (
    <div className="filter-error">
      <p className="action-error">
        {error.message}
        {multiline && ` Line ${lineNumber}, column ${column + 1}.`}
      </p>
      <pre className="filter-caret" aria-hidden="true" data-testid="filter-caret">
        {line.slice(0, column)}
        <mark>{line.slice(column, column + length)}</mark>
        {line.slice(column + length)}
        {'\n'}
        {' '.repeat(column)}
        {'^'.repeat(Math.max(1, length))}
      </pre>
    </div>
  );
}

function FilterInput({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const id = useId();
  // Checked as written (not trimmed), so a position the API gives is a position in the box.
  const text = useSettled(value, CHECK_DELAY_MS);
  const blank = text.trim() === '';
  const check = useQuery({
    queryKey: ['segments', 'preview', text],
    queryFn: ({ signal }) =>
      api<Preview>(`/segments/preview${query({ limit: PREVIEW_SIZE })}`, {
        method: 'POST',
        body: { filter: text },
        signal,
      }),
    enabled: !blank,
    retry: false,
    staleTime: 30_000,
  });
  const typing = value !== text;
  const invalid = !typing && check.isError;
  return (
    <div className="filter-input">
      {/* Not wrapped in its label: a text area's text would become part of the label's. */}
      <label htmlFor={`${id}-filter`}>Filter</label>
      <textarea
        id={`${id}-filter`}
        className="code-input"
        rows={3}
        required
        spellCheck={false}
        value={value}
        aria-invalid={invalid}
        aria-describedby={`${id}-check ${id}-help`}
        placeholder='tier = "Enterprise" and renewal within 90 days'
        onChange={(event) => onChange(event.target.value)}
      />
      <div id={`${id}-check`} className="filter-check" aria-live="polite">
        {value.trim() === '' ? (
          <p className="muted small">Write a filter to see which accounts it matches.</p>
        ) : typing || check.isPending ? (
          <p className="muted small">Checking the filter…</p>
        ) : check.isError ? (
          check.error instanceof ApiError && check.error.code === 'INVALID_FILTER' ? (
            <FilterError source={text} error={check.error} />
          ) : (
            <ActionError error={check.error} />
          )
        ) : (
          <FilterPreview preview={check.data} />
        )}
      </div>
      <FilterHelp id={`${id}-help`} />
    </div>
  );
}

function FilterPreview({ preview }: { preview: Preview }) {
  return (
    <div className="filter-preview">
      <p>
        Matches <strong>{formatNumber(preview.count)}</strong> {preview.count === 1 ? 'account' : 'accounts'}{' '}
        now
        {preview.count > preview.items.length && `; the first ${preview.items.length} by name`}.
      </p>
      {preview.items.length > 0 && (
        <table className="compact">
          <caption className="visually-hidden">First accounts the filter matches</caption>
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col" className="num">
                ARR
              </th>
              <th scope="col">Health</th>
            </tr>
          </thead>
          <tbody>
            {preview.items.map((account) => (
              <tr key={account.id}>
                <td>{account.name}</td>
                <td className="num">{formatMoney(account.arr)}</td>
                <td className="nowrap">
                  <HealthBadge health={account.health} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function FilterHelp({ id }: { id: string }) {
  return (
    <details className="filter-help" id={id}>
      <summary>How to write a filter</summary>
      <p className="small">
        Compare a field with <code className="code">= != &lt; &lt;= &gt; &gt;=</code>, test a list with{' '}
        <code className="code">in (&quot;a&quot;, &quot;b&quot;)</code>, a date with{' '}
        <code className="code">within 90 days</code>, a missing value with{' '}
        <code className="code">is empty</code>; join conditions with <code className="code">and</code>,{' '}
        <code className="code">or</code>, <code className="code">not</code> and parentheses. Text matches
        ignore case. For example{' '}
        <code className="code">tier = &quot;Enterprise&quot; and health.change(30d) &lt;= -20%</code>.
      </p>
      <p className="small">
        Fields (<code className="code">&lt;n&gt;d</code> is a window in days, such as 30d):
      </p>
      <ul className="plain field-names small">
        {FIELD_NAMES.map((field) => (
          <li key={field}>
            <code className="code">{field}</code>
          </li>
        ))}
      </ul>
    </details>
  );
}

// ---------------------------------------------------------------------------------------------
// A segment's page

function SegmentDetail() {
  const id = Number(useParams().id);
  const can = useCan();
  const client = useQueryClient();
  const segment = useSegment(id);
  const uses = useUses();
  const refresh = useMutation({
    mutationFn: () => api<SegmentRefresh>(`/segments/${id}/refresh`, { method: 'POST' }),
    // Settled once the members and history on screen are read again.
    onSuccess: () => client.invalidateQueries({ queryKey: ['segments'] }),
  });
  // Counting now reads the filter over the whole book (seconds for a windowed usage filter on a
  // large one), so it is done when asked for rather than on every visit.
  const live = useMutation({
    mutationFn: () => api<Segment>(`/segments/${id}${query({ live: 'true' })}`),
  });
  if (!Number.isInteger(id) || id <= 0) return <NotFoundPage />;
  if (segment.isPending) return <Loading label="Loading the segment…" />;
  if (segment.isError) return <ErrorState error={segment.error} retry={() => void segment.refetch()} />;
  const s = segment.data;
  const mayEdit = can('segments.write');
  return (
    <article className="page segment">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/segments">Segments</Link> / {s.name}
      </nav>
      <header className="page-head">
        <h1>{s.name}</h1>
        {s.description && <p className="muted">{s.description}</p>}
      </header>
      <dl className="facts">
        <div>
          <dt>Members</dt>
          <dd>{s.refreshedAt === null ? 'not counted yet' : formatNumber(s.memberCount)}</dd>
        </div>
        <div>
          <dt>Last refreshed</dt>
          <dd>{s.refreshedAt ? formatDateTime(s.refreshedAt) : 'never'}</dd>
        </div>
        {live.data?.liveCount !== undefined && (
          <div>
            <dt>Matching now</dt>
            <dd data-testid="live-count">{formatNumber(live.data.liveCount)}</dd>
          </div>
        )}
        <div>
          <dt>Changed</dt>
          <dd>{formatDate(s.updatedAt)}</dd>
        </div>
      </dl>
      <p>
        Filter: <code className="code">{s.filter}</code>
      </p>
      <div className="actions">
        {mayEdit && (
          <Link className="button-link" to={`/segments/${s.id}/edit`}>
            Edit segment
          </Link>
        )}
        <button type="button" disabled={live.isPending} onClick={() => live.mutate()}>
          {live.isPending ? 'Counting…' : 'Count now'}
        </button>
        {mayEdit && (
          <button type="button" disabled={refresh.isPending} onClick={() => refresh.mutate()}>
            Refresh membership
          </button>
        )}
        {can('config.write') && (
          <Link className="button-link" to={`/playbooks${query({ new: 1, segment: s.key })}`}>
            Use in a play
          </Link>
        )}
      </div>
      {refresh.isSuccess && (
        <p className="notice" role="status">
          Membership refreshed: {refresh.data.entered} entered, {refresh.data.left} left.
        </p>
      )}
      <ActionError error={refresh.error ?? live.error} />
      <section className="card" aria-labelledby="uses-title">
        <h2 id="uses-title">Used by</h2>
        <UsesList uses={uses.get(s.key) ?? []} />
      </section>
      <div className="account-grid">
        <div className="col-main">
          <MembersSection segment={s} />
        </div>
        <div className="col-side">
          <HistorySection segment={s} />
        </div>
      </div>
    </article>
  );
}

function MembersSection({ segment }: { segment: Segment }) {
  const [params, setParams] = useSearchParams();
  const page = Math.max(0, Number(params.get('page') ?? 0) || 0);
  const members = useQuery({
    queryKey: ['segments', segment.id, 'members', page],
    queryFn: ({ signal }) =>
      api<Page<SegmentMember>>(
        `/segments/${segment.id}/members${query({ limit: MEMBERS_PAGE, offset: page * MEMBERS_PAGE })}`,
        { signal },
      ),
    placeholderData: keepPreviousData,
  });
  const go = (next: number) =>
    setParams(
      (current) => {
        const search = new URLSearchParams(current);
        if (next === 0) search.delete('page');
        else search.set('page', String(next));
        return search;
      },
      { replace: true },
    );
  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <Queried
        query={members}
        loading="Loading members…"
        isEmpty={(data) => data.total === 0}
        empty={<Empty title="No account was in this segment at its last refresh." />}
      >
        {(data) => (
          <>
            <div className="table-wrap">
              <table className="compact">
                <caption className="visually-hidden">Accounts in {segment.name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Account</th>
                    <th scope="col">Tier</th>
                    <th scope="col" className="num">
                      ARR
                    </th>
                    <th scope="col">Renewal</th>
                    <th scope="col">Owner</th>
                    <th scope="col">Health</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((account) => (
                    <tr key={account.id}>
                      <td>
                        <Link to={`/accounts/${account.id}`}>{account.name}</Link>
                        <div className="muted small">{account.externalId}</div>
                      </td>
                      <td>{account.tier ?? '–'}</td>
                      <td className="num">{formatMoney(account.arr)}</td>
                      <td>{account.renewalDate ? formatDate(account.renewalDate) : '–'}</td>
                      <td>{account.ownerEmail ?? 'none'}</td>
                      <td className="nowrap">
                        <HealthBadge health={account.health} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager label="Pages of members" total={data.total} page={page} size={MEMBERS_PAGE} go={go} />
          </>
        )}
      </Queried>
    </section>
  );
}

function Pager({
  label,
  total,
  page,
  size,
  go,
}: {
  label: string;
  total: number;
  page: number;
  size: number;
  go: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / size));
  const first = page * size + 1;
  const last = Math.min(total, (page + 1) * size);
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" disabled={page === 0} onClick={() => go(page - 1)}>
        Previous
      </button>
      <span>
        {formatNumber(first)}–{formatNumber(last)} of {formatNumber(total)} (page {page + 1} of {pages})
      </span>
      <button type="button" disabled={page + 1 >= pages} onClick={() => go(page + 1)}>
        Next
      </button>
    </nav>
  );
}

function HistorySection({ segment }: { segment: Segment }) {
  const [page, setPage] = useState(0);
  // One more than a page, to know whether an older page exists (the history has no total).
  const history = useQuery({
    queryKey: ['segments', segment.id, 'history', page],
    queryFn: ({ signal }) =>
      api<Items<MembershipEvent>>(
        `/segments/${segment.id}/history${query({ limit: HISTORY_PAGE + 1, offset: page * HISTORY_PAGE })}`,
        { signal },
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <section className="card" aria-labelledby="history-title">
      <h2 id="history-title">Entries and exits</h2>
      <Queried
        query={history}
        loading="Loading the history…"
        isEmpty={(data) => data.items.length === 0 && page === 0}
        empty={
          <Empty title="No one has entered or left yet.">
            Membership is recorded by the daily run, after each ingest for segments that read activity, and
            when a lead or admin refreshes it.
          </Empty>
        }
      >
        {(data) => (
          <>
            <ul className="timeline segment-history">
              {data.items.slice(0, HISTORY_PAGE).map((event) => (
                <li key={event.id}>
                  <span className={`tag ${event.kind === 'left' ? 'tag-warn' : ''}`}>
                    {event.kind === 'left' ? 'Left' : 'Entered'}
                  </span>{' '}
                  <Link to={`/accounts/${event.accountId}`}>{event.accountName}</Link>{' '}
                  <span className="muted small">{formatDateTime(event.at)}</span>
                </li>
              ))}
            </ul>
            <nav className="pager" aria-label="Pages of entries and exits">
              <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
                Newer
              </button>
              <button
                type="button"
                disabled={data.items.length <= HISTORY_PAGE}
                onClick={() => setPage(page + 1)}
              >
                Older
              </button>
            </nav>
          </>
        )}
      </Queried>
    </section>
  );
}
