// "Accounts at Risk": the open cases, prioritised, filtered, searched and paged on the server, with
// stage and reasons changed in place. It opens on the user's own cases (a CSM), their team's (a
// lead) or all of them; views are saved by name; selected rows change together, each answered on
// its row. Changes by others arrive live and are marked for a moment.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useCallback, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, query } from '../api/client';
import { useReasons, useStages, useUsers } from '../api/hooks';
import type {
  BulkRowResult,
  Page,
  WorklistFilters,
  WorklistItem,
  WorklistScope,
  WorklistView,
} from '../api/types';
import { useUser } from '../session';
import {
  BulkBar,
  defaultScope,
  SavedViews,
  ScopeSwitch,
  scopesOf,
  type BulkOutcome,
  type WorklistShape,
} from './worklist-tools';
import { HealthBadge, ReasonsEditor, StageSelect } from '../components/case-controls';
import { SelectField, TeamSelect, type Option } from '../components/fields';
import { Queried } from '../components/queried';
import { Empty } from '../components/states';
import { formatAge, formatDays, formatMoney, formatPriority, QUADRANT_NAMES } from '../format';
import { useLive } from '../live';
import { useSearchAsYouType } from '../search-as-you-type';

const PAGE_SIZE = 50;
const NO_ROWS: ReadonlyMap<number, number> = new Map();
type SortKey = 'priority' | 'time_in_stage' | 'arr_at_risk' | 'ltv' | 'last_update' | 'opened_at';
const FILTERS = [
  'q',
  'stage',
  'reason',
  'ownerId',
  'teamId',
  'track',
  'quadrant',
  'overdue',
  'status',
] as const;

export default function WorklistPage() {
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const sort = (params.get('sort') ?? 'priority') as SortKey;
  const order = params.get('order') ?? (sort === 'last_update' ? 'asc' : 'desc');
  const page = Math.max(0, Number(params.get('page') ?? 0));
  const asked = params.get('scope');
  const scope: WorklistScope = scopesOf(user).find((option) => option === asked) ?? defaultScope(user);
  const paramsKey = params.toString();
  const filters = useMemo(
    () => Object.fromEntries(FILTERS.map((key) => [key, new URLSearchParams(paramsKey).get(key) ?? ''])),
    [paramsKey],
  );
  const viewId = params.get('view') === null ? null : Number(params.get('view'));

  const set = useCallback(
    (changes: Record<string, string | null>) =>
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          for (const [key, value] of Object.entries(changes))
            if (value === null || value === '') next.delete(key);
            else next.set(key, value);
          if (!('page' in changes)) next.delete('page');
          // A changed filter, sort or scope is no longer the saved view it started from.
          if (!('view' in changes) && !('page' in changes)) next.delete('view');
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );

  const pickView = useCallback(
    (view: WorklistView) => setParams(viewParams(view), { replace: false }),
    [setParams],
  );

  const listQuery = { ...filters, scope, sort, order };
  const list = useQuery({
    queryKey: ['risk-cases', 'worklist', filters, scope, sort, order, page],
    queryFn: ({ signal }) =>
      api<Page<WorklistItem>>(
        `/risk-cases${query({ ...listQuery, limit: PAGE_SIZE, offset: page * PAGE_SIZE })}`,
        { signal },
      ),
    placeholderData: keepPreviousData,
  });

  // The rows picked for a bulk change, with the version each showed when it was picked, and what
  // the last change did; both belong to the list they were made on, and go when it changes.
  const listKey = JSON.stringify([filters, scope, sort, order, page]);
  const [selection, setSelection] = useState<{ key: string; rows: Map<number, number> }>({
    key: listKey,
    rows: new Map(),
  });
  const [lastOutcome, setLastOutcome] = useState<{ key: string; outcome: BulkOutcome } | null>(null);
  const selected = selection.key === listKey ? selection.rows : NO_ROWS;
  const setSelected = (rows: Map<number, number>) => setSelection({ key: listKey, rows });
  const outcome = lastOutcome?.key === listKey ? lastOutcome.outcome : null;
  const setOutcome = (done: BulkOutcome) => setLastOutcome({ key: listKey, outcome: done });
  // Viewers change nothing; for everyone else each row is decided by the server, and said on the row.
  const mayChange = user.role !== 'viewer';

  const shape: WorklistShape = {
    scope,
    filters: filtersOf(filters),
    sort,
    order: params.get('order') === null ? null : order === 'asc' ? 'asc' : 'desc',
  };

  const sortBy = (key: SortKey) =>
    set({ sort: key, order: key === sort ? (order === 'asc' ? 'desc' : 'asc') : null });

  return (
    <section className="page">
      <div className="page-head">
        <h1>Accounts at risk</h1>
        {list.data && (
          <p className="muted" aria-live="polite">
            {countLabel(list.data.total, filters.status)}
          </p>
        )}
      </div>
      <div className="worklist-tools">
        <ScopeSwitch
          user={user}
          scope={scope}
          onChange={(next) =>
            set({
              scope: next,
              ...(next === 'mine' && { ownerId: null }),
              ...(next === 'team' && { teamId: null }),
            })
          }
        />
        <SavedViews
          user={user}
          current={shape}
          chosenId={viewId}
          onPick={pickView}
          onChosen={(id) => set({ view: id === null ? null : String(id), page: null })}
        />
        <a
          className="button-link"
          href={`/api/v1/risk-cases/export${query(listQuery)}`}
          download="worklist.csv"
        >
          Download CSV
        </a>
      </div>
      <Filters values={filters} set={set} scope={scope} />
      {mayChange && selected.size > 0 && (
        <BulkBar
          user={user}
          selected={selected}
          onDone={(done) => {
            setOutcome(done);
            setSelected(new Map());
          }}
          onClear={() => setSelected(new Map())}
        />
      )}
      <p className="bulk-summary" role="status">
        {outcome?.summary ?? ''}
      </p>
      <Queried
        query={list}
        loading="Loading the worklist…"
        isEmpty={(data) => data.items.length === 0}
        empty={<Empty title="No cases match.">Clear a filter or search for another name.</Empty>}
      >
        {(data) => (
          <>
            <WorklistTable
              items={data.items}
              sort={sort}
              order={order}
              sortBy={sortBy}
              selectable={mayChange}
              selected={selected}
              setSelected={setSelected}
              results={outcome?.results ?? null}
            />
            <Pager total={data.total} page={page} go={(next) => set({ page: String(next) })} />
          </>
        )}
      </Queried>
    </section>
  );
}

function Filters({
  values,
  set,
  scope,
}: {
  values: Record<string, string>;
  set: (changes: Record<string, string | null>) => void;
  scope: WorklistScope;
}) {
  const stages = useStages();
  const reasons = useReasons();
  const users = useUsers();
  const [search, setSearch] = useState(values.q ?? '');
  const q = values.q ?? '';
  const applySearch = useCallback((typed: string) => set({ q: typed }), [set]);
  useSearchAsYouType(search, q, applySearch);

  const select = (key: string, label: string, options: Option[], all: string) => (
    <SelectField
      label={label}
      value={values[key] ?? ''}
      options={options}
      anyLabel={all}
      onChange={(value) => set({ [key]: value })}
    />
  );

  return (
    <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
      <label className="grow">
        Search
        <input
          type="search"
          placeholder="Account name or id"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
      </label>
      {select(
        'stage',
        'Stage',
        (stages.data ?? []).map((stage) => ({ value: stage.key, label: stage.name })),
        'Any stage',
      )}
      {select(
        'reason',
        'Reason',
        (reasons.data ?? []).map((reason) => ({ value: reason.key, label: reason.name })),
        'Any reason',
      )}
      {scope !== 'mine' &&
        select(
          'ownerId',
          'Owner',
          (users.data ?? [])
            .filter((user) => user.role === 'csm' || user.role === 'lead')
            .map((user) => ({ value: String(user.id), label: user.name })),
          'Anyone',
        )}
      {scope === 'all' && (
        <TeamSelect value={values.teamId ?? ''} onChange={(teamId) => set({ teamId })} anyLabel="All teams" />
      )}
      {select(
        'track',
        'Track',
        [
          { value: 'human', label: 'Human' },
          { value: 'digital', label: 'Digital' },
        ],
        'Both tracks',
      )}
      {select(
        'quadrant',
        'Matrix',
        Object.entries(QUADRANT_NAMES).map(([value, label]) => ({ value, label })),
        'Any quadrant',
      )}
      {select(
        'status',
        'Status',
        [
          { value: 'closed', label: 'Closed' },
          { value: 'all', label: 'Open and closed' },
        ],
        'Open',
      )}
      <label className="check">
        <input
          type="checkbox"
          checked={values.overdue === 'true'}
          onChange={(event) => set({ overdue: event.target.checked ? 'true' : null })}
        />
        Update overdue
      </label>
    </form>
  );
}

function WorklistTable({
  items,
  sort,
  order,
  sortBy,
  selectable,
  selected,
  setSelected,
  results,
}: {
  items: WorklistItem[];
  sort: SortKey;
  order: string;
  sortBy: (key: SortKey) => void;
  selectable: boolean;
  selected: ReadonlyMap<number, number>;
  setSelected: (next: Map<number, number>) => void;
  results: ReadonlyMap<number, BulkRowResult> | null;
}) {
  const allSelected = items.length > 0 && items.every((item) => selected.has(item.id));
  const toggle = (item: WorklistItem, on: boolean) => {
    const next = new Map(selected);
    if (on) next.set(item.id, item.version);
    else next.delete(item.id);
    setSelected(next);
  };
  const toggleAll = (on: boolean) =>
    setSelected(
      new Map<number, number>(
        on ? items.map((item) => [item.id, selected.get(item.id) ?? item.version]) : [],
      ),
    );
  const { recentCases } = useLive();
  const users = useUsers();
  const names = new Map((users.data ?? []).map((user) => [user.id, user.name]));
  const ownerName = (item: WorklistItem) =>
    (item.account.ownerId !== null ? names.get(item.account.ownerId) : undefined) ??
    item.account.ownerEmail ??
    'none';
  const header = (key: SortKey, label: string, className?: string) => (
    <th
      scope="col"
      className={className}
      aria-sort={sort === key ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button type="button" className="sort" onClick={() => sortBy(key)}>
        {label}
        <span aria-hidden="true">{sort === key ? (order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
  return (
    <div className="table-wrap">
      <table className="worklist">
        <caption className="visually-hidden">Open risk cases</caption>
        <thead>
          <tr>
            {selectable && (
              <th scope="col" className="select">
                <input
                  type="checkbox"
                  aria-label="Select all on this page"
                  checked={allSelected}
                  onChange={(event) => toggleAll(event.target.checked)}
                />
              </th>
            )}
            {header('priority', 'Priority', 'num')}
            <th scope="col">Account</th>
            <th scope="col">Stage</th>
            {header('time_in_stage', 'In stage', 'num')}
            <th scope="col">Reasons</th>
            {header('arr_at_risk', 'ARR at risk', 'num')}
            {header('ltv', 'LTV', 'num')}
            <th scope="col">Owner</th>
            {header('last_update', 'Last update')}
            <th scope="col">Health</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr
              key={item.id}
              className={recentCases.has(item.id) ? 'changed' : undefined}
              data-case-id={item.id}
            >
              {selectable && (
                <td className="select">
                  <input
                    type="checkbox"
                    aria-label={`Select ${item.account.name}`}
                    checked={selected.has(item.id)}
                    onChange={(event) => toggle(item, event.target.checked)}
                  />
                </td>
              )}
              <td className="num">
                <span className="priority">{formatPriority(item.priority)}</span>
              </td>
              <td>
                <Link to={`/accounts/${item.accountId}`}>{item.account.name}</Link>
                <div className="muted small">
                  {item.account.externalId}
                  {item.track === 'digital' && <span className="tag">digital</span>}
                </div>
                <RowResult result={results?.get(item.id)} />
              </td>
              <td>
                <StageSelect riskCase={item} />
              </td>
              <td className="num">{formatDays(item.timeInStageDays)}</td>
              <td>
                <ReasonsEditor riskCase={item} />
              </td>
              <td className="num">{formatMoney(item.arrAtRisk)}</td>
              <td className="num">{formatMoney(item.ltv)}</td>
              <td>{ownerName(item)}</td>
              <td>
                {formatAge(item.lastUpdateAt)}
                {item.updateOverdue && <span className="tag tag-warn">overdue</span>}
              </td>
              <td className="nowrap">
                <HealthBadge health={item.health} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What a bulk change did to this row. */
function RowResult({ result }: { result: BulkRowResult | undefined }) {
  if (!result) return null;
  return result.ok ? (
    <div className="row-result row-done">Done</div>
  ) : (
    <div className="row-result row-refused">Refused: {result.error?.message ?? 'not changed'}</div>
  );
}

/** The worklist's address for a saved view: its scope, filters and sort, and which view it is. */
function viewParams(view: WorklistView): URLSearchParams {
  const next = new URLSearchParams({ scope: view.scope, view: String(view.id) });
  for (const [key, value] of Object.entries(view.filters)) {
    if (value === undefined) continue;
    next.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  if (view.sort !== 'priority') next.set('sort', view.sort);
  if (view.order !== null) next.set('order', view.order);
  return next;
}

/** The filters on screen as a view keeps them. */
function filtersOf(values: Record<string, string>): WorklistFilters {
  const filters: WorklistFilters = {};
  const text = (key: string) => (values[key] ?? '') || undefined;
  const q = text('q');
  if (q) filters.q = q;
  const stage = text('stage');
  if (stage) filters.stage = stage.split(',').filter(Boolean);
  const reason = text('reason');
  if (reason) filters.reason = reason;
  const ownerId = Number(text('ownerId'));
  if (Number.isInteger(ownerId) && ownerId > 0) filters.ownerId = ownerId;
  const teamId = Number(text('teamId'));
  if (Number.isInteger(teamId) && teamId > 0) filters.teamId = teamId;
  const track = text('track');
  if (track === 'human' || track === 'digital') filters.track = track;
  const quadrant = text('quadrant');
  if (quadrant) filters.quadrant = quadrant as WorklistFilters['quadrant'];
  if (values.overdue === 'true') filters.overdue = true;
  const status = text('status');
  if (status === 'open' || status === 'closed' || status === 'all') filters.status = status;
  return filters;
}

function Pager({ total, page, go }: { total: number; page: number; go: (page: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const first = page * PAGE_SIZE + 1;
  const last = Math.min(total, (page + 1) * PAGE_SIZE);
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={page === 0} onClick={() => go(page - 1)}>
        Previous
      </button>
      <span>
        {first.toLocaleString('en-US')}–{last.toLocaleString('en-US')} of {total.toLocaleString('en-US')}{' '}
        (page {page + 1} of {pages})
      </span>
      <button type="button" disabled={page + 1 >= pages} onClick={() => go(page + 1)}>
        Next
      </button>
    </nav>
  );
}

/** "1,234 open cases", as the Status filter counts them. */
function countLabel(total: number, status: string | undefined): string {
  const count = total.toLocaleString('en-US');
  const noun = total === 1 ? 'case' : 'cases';
  if (status === 'closed') return `${count} closed ${noun}`;
  if (status === 'all') return `${count} ${noun}, open and closed`;
  return `${count} open ${noun}`;
}
