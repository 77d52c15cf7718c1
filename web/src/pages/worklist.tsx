// "Accounts at Risk": the open cases, prioritised, filtered, searched and paged on the server, with
// stage and reasons changed in place. Changes by others arrive live and are marked for a moment.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, query } from '../api/client';
import { useReasons, useStages, useUsers } from '../api/hooks';
import type { Page, WorklistItem } from '../api/types';
import { HealthBadge, ReasonsEditor, StageSelect } from '../components/case-controls';
import { SelectField, TeamSelect, type Option } from '../components/fields';
import { Queried } from '../components/queried';
import { Empty } from '../components/states';
import { formatAge, formatDays, formatMoney, QUADRANT_NAMES } from '../format';
import { useLive } from '../live';

const PAGE_SIZE = 50;
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
  const [params, setParams] = useSearchParams();
  const sort = (params.get('sort') ?? 'priority') as SortKey;
  const order = params.get('order') ?? (sort === 'last_update' ? 'asc' : 'desc');
  const page = Math.max(0, Number(params.get('page') ?? 0));
  const filters = Object.fromEntries(FILTERS.map((key) => [key, params.get(key) ?? '']));

  const set = useCallback(
    (changes: Record<string, string | null>) =>
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          for (const [key, value] of Object.entries(changes))
            if (value === null || value === '') next.delete(key);
            else next.set(key, value);
          if (!('page' in changes)) next.delete('page');
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );

  const list = useQuery({
    queryKey: ['risk-cases', 'worklist', filters, sort, order, page],
    queryFn: ({ signal }) =>
      api<Page<WorklistItem>>(
        `/risk-cases${query({ ...filters, sort, order, limit: PAGE_SIZE, offset: page * PAGE_SIZE })}`,
        { signal },
      ),
    placeholderData: keepPreviousData,
  });

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
      <Filters values={filters} set={set} />
      <Queried
        query={list}
        loading="Loading the worklist…"
        isEmpty={(data) => data.items.length === 0}
        empty={<Empty title="No cases match.">Clear a filter or search for another name.</Empty>}
      >
        {(data) => (
          <>
            <WorklistTable items={data.items} sort={sort} order={order} sortBy={sortBy} />
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
}: {
  values: Record<string, string>;
  set: (changes: Record<string, string | null>) => void;
}) {
  const stages = useStages();
  const reasons = useReasons();
  const users = useUsers();
  const [search, setSearch] = useState(values.q ?? '');
  const q = values.q ?? '';
  // Search as you type, once typing pauses.
  useEffect(() => {
    if (search === q) return;
    const timer = window.setTimeout(() => set({ q: search }), 300);
    return () => window.clearTimeout(timer);
  }, [search, q, set]);

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
      {select(
        'ownerId',
        'Owner',
        (users.data ?? [])
          .filter((user) => user.role === 'csm' || user.role === 'lead')
          .map((user) => ({ value: String(user.id), label: user.name })),
        'Anyone',
      )}
      <TeamSelect value={values.teamId ?? ''} onChange={(teamId) => set({ teamId })} anyLabel="All teams" />
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
}: {
  items: WorklistItem[];
  sort: SortKey;
  order: string;
  sortBy: (key: SortKey) => void;
}) {
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
              <td className="num">
                <span className="priority">{item.priority}</span>
              </td>
              <td>
                <Link to={`/accounts/${item.accountId}`}>{item.account.name}</Link>
                <div className="muted small">
                  {item.account.externalId}
                  {item.track === 'digital' && <span className="tag">digital</span>}
                </div>
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
