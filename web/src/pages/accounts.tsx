// "Accounts": the whole book, searched, filtered in the segment language and sorted on the server a
// page at a time, with the columns a CS person wants and the selection as a CSV file.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useCallback, useId, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError, query } from '../api/client';
import { useUsers } from '../api/hooks';
import type { AccountListItem, Page } from '../api/types';
import { HealthBadge } from '../components/case-controls';
import { Queried } from '../components/queried';
import { Empty } from '../components/states';
import { formatAge, formatDate, formatMoney } from '../format';
import { useSearchAsYouType } from '../search-as-you-type';

const PAGE_SIZE = 50;
type SortKey = 'name' | 'arr' | 'renewal_date' | 'health_score' | 'owner' | 'last_activity' | 'updated_at';
type Dir = 'asc' | 'desc';
/** The direction a column sorts in first: the server's defaults. */
const FIRST_DIR: Record<SortKey, Dir> = {
  name: 'asc',
  arr: 'desc',
  renewal_date: 'asc',
  health_score: 'asc',
  owner: 'asc',
  last_activity: 'desc',
  updated_at: 'desc',
};

type ColumnKey =
  'tier' | 'arr' | 'renewal' | 'health' | 'owner' | 'team' | 'lifecycle' | 'lastActivity' | 'updated';

interface Column {
  key: ColumnKey;
  label: string;
  sort?: SortKey;
  num?: boolean;
  cell: (account: AccountListItem, ownerName: string) => ReactNode;
}

const COLUMNS: Column[] = [
  { key: 'tier', label: 'Tier', cell: (a) => a.tier ?? '–' },
  { key: 'arr', label: 'ARR', sort: 'arr', num: true, cell: (a) => formatMoney(a.arr) },
  {
    key: 'renewal',
    label: 'Renewal',
    sort: 'renewal_date',
    cell: (a) => (a.renewalDate ? formatDate(a.renewalDate) : '–'),
  },
  { key: 'health', label: 'Health', sort: 'health_score', cell: (a) => <HealthBadge health={a.health} /> },
  { key: 'owner', label: 'Owner', sort: 'owner', cell: (_a, owner) => owner },
  { key: 'team', label: 'Team', cell: (a) => a.teamName ?? '–' },
  { key: 'lifecycle', label: 'Lifecycle', cell: (a) => a.lifecycleStage ?? '–' },
  {
    key: 'lastActivity',
    label: 'Last activity',
    sort: 'last_activity',
    cell: (a) => formatAge(a.lastActivityAt),
  },
  { key: 'updated', label: 'Updated', sort: 'updated_at', cell: (a) => formatAge(a.updatedAt) },
];

const COLUMNS_KEY = 'retain.accounts.columns';
const DEFAULT_HIDDEN: ColumnKey[] = ['team', 'lifecycle', 'updated'];

/** Which columns are hidden, remembered in this browser. */
function useHiddenColumns(): [Set<ColumnKey>, (key: ColumnKey, shown: boolean) => void] {
  const [hidden, setHidden] = useState<Set<ColumnKey>>(() => {
    try {
      const stored: unknown = JSON.parse(window.localStorage.getItem(COLUMNS_KEY) ?? 'null');
      if (Array.isArray(stored))
        return new Set(COLUMNS.map((column) => column.key).filter((key) => stored.includes(key)));
    } catch {
      // Unreadable: start from the defaults.
    }
    return new Set(DEFAULT_HIDDEN);
  });
  const toggle = (key: ColumnKey, shown: boolean) =>
    setHidden((current) => {
      const next = new Set(current);
      if (shown) next.delete(key);
      else next.add(key);
      window.localStorage.setItem(COLUMNS_KEY, JSON.stringify([...next]));
      return next;
    });
  return [hidden, toggle];
}

export default function AccountsPage() {
  const [params, setParams] = useSearchParams();
  const sort = (params.get('sort') ?? 'name') as SortKey;
  const dir = (params.get('dir') ?? FIRST_DIR[sort] ?? 'asc') as Dir;
  const page = Math.max(0, Number(params.get('page') ?? 0));
  const q = params.get('q') ?? '';
  const filter = params.get('filter') ?? '';
  const [hidden, toggleColumn] = useHiddenColumns();

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

  const selection = { q, filter, sort, dir };
  const list = useQuery({
    queryKey: ['accounts', 'list', selection, page],
    queryFn: ({ signal }) =>
      api<Page<AccountListItem>>(
        `/accounts${query({ ...selection, limit: PAGE_SIZE, offset: page * PAGE_SIZE })}`,
        { signal },
      ),
    placeholderData: keepPreviousData,
    retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
  });
  const filterError =
    list.error instanceof ApiError && list.error.code === 'INVALID_FILTER' ? list.error : null;

  const sortBy = (key: SortKey) =>
    set({ sort: key, dir: key === sort ? (dir === 'asc' ? 'desc' : 'asc') : FIRST_DIR[key] });

  return (
    <section className="page">
      <div className="page-head">
        <h1>Accounts</h1>
        {list.data && !list.isError && (
          <p className="muted" aria-live="polite">
            {list.data.total.toLocaleString('en-US')} {list.data.total === 1 ? 'account' : 'accounts'}
          </p>
        )}
      </div>
      <Filters q={q} filter={filter} filterError={filterError} set={set} />
      <div className="table-tools">
        <ColumnChooser hidden={hidden} toggle={toggleColumn} />
        {filterError ? (
          <span className="muted small">Download CSV: fix the filter first.</span>
        ) : (
          <a
            className="download-link"
            href={`/api/v1/exports/accounts${query(selection)}`}
            download="accounts.csv"
          >
            Download CSV
          </a>
        )}
      </div>
      {filterError ? (
        <Empty title="No accounts to show.">The filter above does not read; fix it to see accounts.</Empty>
      ) : (
        <Queried
          query={list}
          loading="Loading accounts…"
          isEmpty={(data) => data.items.length === 0}
          empty={<Empty title="No accounts match.">Clear the search or the filter.</Empty>}
        >
          {(data) => (
            <>
              <AccountsTable
                items={data.items}
                columns={COLUMNS.filter((column) => !hidden.has(column.key))}
                sort={sort}
                dir={dir}
                sortBy={sortBy}
              />
              <Pager total={data.total} page={page} go={(next) => set({ page: String(next) })} />
            </>
          )}
        </Queried>
      )}
    </section>
  );
}

function Filters({
  q,
  filter,
  filterError,
  set,
}: {
  q: string;
  filter: string;
  filterError: ApiError | null;
  set: (changes: Record<string, string | null>) => void;
}) {
  const [search, setSearch] = useState(q);
  const [draft, setDraft] = useState(filter);
  const errorId = useId();
  const helpId = useId();
  const applySearch = useCallback((typed: string) => set({ q: typed }), [set]);
  useSearchAsYouType(search, q, applySearch);
  // The address changed the filter (back, forward, Clear): the box shows it.
  const [shown, setShown] = useState(filter);
  if (shown !== filter) {
    setShown(filter);
    setDraft(filter);
  }

  const apply = (event: FormEvent) => {
    event.preventDefault();
    set({ filter: draft.trim() });
  };
  const position = filterError?.details?.position;
  return (
    <div className="account-filters">
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
      </form>
      <form className="filters segment-filter" onSubmit={apply} aria-label="Filter accounts">
        <label className="grow">
          Filter
          <input
            type="text"
            className="code-input"
            spellCheck={false}
            placeholder='tier = "Enterprise" and health.score < 50'
            value={draft}
            aria-invalid={filterError ? true : undefined}
            aria-describedby={filterError ? `${errorId} ${helpId}` : helpId}
            onChange={(event) => setDraft(event.target.value)}
          />
        </label>
        <button type="submit">Apply filter</button>
        {filter && (
          <button
            type="button"
            onClick={() => {
              setDraft('');
              set({ filter: null });
            }}
          >
            Clear filter
          </button>
        )}
      </form>
      <p id={helpId} className="muted small">
        The segment language: fields such as tier, arr, renewal, owner, health.score, attributes.region or
        risk.stage, joined with and, or, not.
      </p>
      {filterError && (
        <p id={errorId} className="action-error" role="alert">
          {filterError.message}
          {typeof position === 'number' && (
            <>
              {' '}
              <FilterPointer source={filter} position={position} />
            </>
          )}
        </p>
      )}
    </div>
  );
}

/** The filter with the place it stops reading marked. */
function FilterPointer({ source, position }: { source: string; position: number }) {
  const at = Math.max(0, Math.min(source.length, position - 1));
  return (
    <code className="filter-pointer">
      {source.slice(0, at)}
      <mark>{source.slice(at, at + 1) || ' '}</mark>
      {source.slice(at + 1)}
    </code>
  );
}

function ColumnChooser({
  hidden,
  toggle,
}: {
  hidden: Set<ColumnKey>;
  toggle: (key: ColumnKey, shown: boolean) => void;
}) {
  return (
    <details className="column-chooser">
      <summary>Columns</summary>
      <fieldset className="popover">
        <legend>Show columns</legend>
        {COLUMNS.map((column) => (
          <label key={column.key} className="check">
            <input
              type="checkbox"
              checked={!hidden.has(column.key)}
              onChange={(event) => toggle(column.key, event.target.checked)}
            />
            {column.label}
          </label>
        ))}
      </fieldset>
    </details>
  );
}

function AccountsTable({
  items,
  columns,
  sort,
  dir,
  sortBy,
}: {
  items: AccountListItem[];
  columns: Column[];
  sort: SortKey;
  dir: Dir;
  sortBy: (key: SortKey) => void;
}) {
  const users = useUsers();
  const names = new Map((users.data ?? []).map((user) => [user.id, user.name]));
  const ownerName = (account: AccountListItem) =>
    (account.ownerId !== null ? names.get(account.ownerId) : undefined) ?? account.ownerEmail ?? 'none';
  const header = (label: string, key: SortKey | undefined, num?: boolean) => (
    <th
      key={label}
      scope="col"
      className={num ? 'num' : undefined}
      aria-sort={
        key === undefined ? undefined : sort === key ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'
      }
    >
      {key === undefined ? (
        label
      ) : (
        <button type="button" className="sort" onClick={() => sortBy(key)}>
          {label}
          <span aria-hidden="true">{sort === key ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
        </button>
      )}
    </th>
  );
  return (
    <div className="table-wrap">
      <table className="accounts">
        <caption className="visually-hidden">Accounts</caption>
        <thead>
          <tr>
            {header('Account', 'name')}
            {columns.map((column) => header(column.label, column.sort, column.num))}
          </tr>
        </thead>
        <tbody>
          {items.map((account) => (
            <tr key={account.id} data-account-id={account.id}>
              <td>
                <Link to={`/accounts/${account.id}`}>{account.name}</Link>
                <div className="muted small">{account.externalId}</div>
              </td>
              {columns.map((column) => (
                <td key={column.key} className={column.num ? 'num' : undefined}>
                  {column.cell(account, ownerName(account))}
                </td>
              ))}
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
