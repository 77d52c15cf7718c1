// Exports of accounts, contacts and risk cases as CSV or JSON lines, streamed chunk by chunk.
import type { Account } from '../domain/account';
import { csvRows, type CsvOptions, type CsvValue } from '../domain/csv-cell';
import { AccountRepository, type AccountSort, type SortDirection } from '../store/account.repository';
import { accountFilterOf, accountOrderOf, type AccountSelection } from './accounts';
import type { ServiceContext } from './context';
import { UserRepository } from '../store/user.repository';
import type { RiskCaseService, WorklistQuery } from './risk-cases';

export type ExportFormat = 'csv' | 'json';

/** The accounts an export takes, in the list's order: what the account list shows, on every page. */
export interface AccountExportSelection extends AccountSelection {
  sort?: AccountSort;
  dir?: SortDirection;
}

const EXPORT_CHUNK = 1000;

const ACCOUNT_HEADERS = [
  'external_id',
  'name',
  'owner_email',
  'team',
  'tier',
  'arr',
  'renewal_date',
  'lifecycle_stage',
];

export class ExportService {
  constructor(
    private readonly context: ServiceContext,
    private readonly riskCases: RiskCaseService,
  ) {}

  /**
   * Accounts in a form `import accounts` reads back: known fields under their import names and one
   * column per attribute. JSON is one array, written element by element. CSV cells that would start
   * a spreadsheet formula are neutralised unless `csv.raw`. Every account, in id order.
   */
  async *accounts(format: ExportFormat, csv: CsvOptions = {}): AsyncGenerator<string> {
    const repo = new AccountRepository(this.context.store.db);
    yield* accountLines(format, csv, () => repo.iterateAll());
  }

  /**
   * The accounts a selection takes, in its order (by name unless it sorts), written as `accounts`
   * writes them. The selection is read before anything is written, so a filter that does not read
   * is an INVALID_FILTER answer, not a broken file.
   */
  async selectedAccounts(
    format: ExportFormat,
    csv: CsvOptions,
    selection: AccountExportSelection,
  ): Promise<AsyncGenerator<string>> {
    const repo = new AccountRepository(this.context.store.db);
    return accountLines(format, csv, await this.selectedChunks(repo, selection));
  }

  /**
   * The selected accounts chunk by chunk, in order: their ids are read once in the list's order (one
   * query, SQL filtering and sorting), then the accounts a chunk at a time. An account deleted
   * meanwhile is left out.
   */
  private async selectedChunks(
    repo: AccountRepository,
    selection: AccountExportSelection,
  ): Promise<() => AsyncGenerator<Account[]>> {
    const { sort, dir, ...rest } = selection;
    const ids = await repo.idsInOrder(
      accountFilterOf(rest, this.context),
      accountOrderOf(sort ?? 'name', dir, this.context),
    );
    return async function* () {
      for (let i = 0; i < ids.length; i += EXPORT_CHUNK) {
        const slice = ids.slice(i, i + EXPORT_CHUNK);
        const found = await repo.findManyById(slice);
        yield slice.flatMap((id) => {
          const account = found.get(id);
          return account ? [account] : [];
        });
      }
    };
  }

  async *contacts(format: ExportFormat, csv: CsvOptions = {}): AsyncGenerator<string> {
    const repo = new AccountRepository(this.context.store.db);
    if (format === 'json') {
      yield* jsonArray(mapChunks(repo.iterateContacts(), (contact) => contact));
      return;
    }
    yield csvRows([['account_external_id', 'email', 'name', 'role', 'champion']], csv);
    for await (const chunk of repo.iterateContacts()) {
      yield csvRows(
        chunk.map((contact) => [
          contact.accountExternalId,
          contact.email,
          contact.name ?? '',
          contact.role ?? '',
          contact.isChampion ? 'yes' : 'no',
        ]),
        csv,
      );
    }
  }

  async *cases(format: ExportFormat, csv: CsvOptions = {}): AsyncGenerator<string> {
    const { items } = await this.riskCases.worklist({
      status: 'all',
      sort: 'opened_at',
      order: 'asc',
      limit: Number.MAX_SAFE_INTEGER,
    });
    if (format === 'json') {
      yield `${JSON.stringify(items, null, 1)}\n`;
      return;
    }
    yield csvRows(
      [
        [
          'case_id',
          'account_external_id',
          'account_name',
          'owner_email',
          'team',
          'stage',
          'status',
          'reasons',
          'reason_names',
          'quadrant',
          'track',
          'arr_at_risk',
          'ltv',
          'opened_at',
          'time_in_stage_days',
          'total_open_days',
          'closed_at',
          'outcome',
          'last_update_at',
          'update_overdue',
          'priority',
        ],
      ],
      csv,
    );
    yield csvRows(
      items.map((view) => [
        view.id,
        view.account.externalId,
        view.account.name,
        view.account.ownerEmail ?? '',
        view.account.teamName ?? '',
        view.stage.key,
        view.status,
        view.reasons.map((reason) => reason.key).join(';'),
        view.reasons.map((reason) => reason.name).join('; '),
        view.matrix.quadrant,
        view.track,
        view.arrAtRisk,
        view.ltv,
        view.openedAt,
        view.timeInStageDays,
        view.totalOpenDays,
        view.closedAt ?? '',
        view.outcome ?? '',
        view.lastUpdateAt ?? '',
        view.updateOverdue ? 'yes' : 'no',
        view.priority,
      ]),
      csv,
    );
  }
}

/**
 * What the worklist shows for a query, on every page and in its order, as people read it: account,
 * stage, reason and owner names rather than keys. Cells that would start a formula are neutralised.
 */
export async function* worklistCsv(
  context: ServiceContext,
  riskCases: RiskCaseService,
  query: Omit<WorklistQuery, 'limit' | 'offset'>,
): AsyncGenerator<string> {
  const [{ items }, users] = await Promise.all([
    riskCases.worklist({ ...query, limit: Number.MAX_SAFE_INTEGER, offset: 0 }),
    new UserRepository(context.store.db).listUsers(),
  ]);
  const names = new Map(users.map((user) => [user.id, user.name]));
  yield csvRows(
    [
      [
        'Account',
        'Account id',
        'Stage',
        'Status',
        'Reasons',
        'Owner',
        'Team',
        'ARR at risk',
        'LTV',
        'Priority',
        'Days in stage',
        'Last update',
        'Update overdue',
        'Health score',
      ],
    ],
    {},
  );
  for (let i = 0; i < items.length; i += EXPORT_CHUNK) {
    yield csvRows(
      items
        .slice(i, i + EXPORT_CHUNK)
        .map((item) => [
          item.account.name,
          item.account.externalId,
          item.stage.name,
          item.status === 'open' ? 'Open' : 'Closed',
          item.reasons.map((reason) => reason.name).join('; '),
          (item.account.ownerId !== null ? names.get(item.account.ownerId) : undefined) ??
            item.account.ownerEmail ??
            '',
          item.account.teamName ?? '',
          item.arrAtRisk,
          item.ltv,
          item.priority,
          item.timeInStageDays,
          item.lastUpdateAt ?? '',
          item.updateOverdue ? 'yes' : 'no',
          item.health?.score ?? '',
        ]),
      {},
    );
  }
}

async function* accountLines(
  format: ExportFormat,
  csv: CsvOptions,
  chunks: () => AsyncIterable<Account[]>,
): AsyncGenerator<string> {
  if (format === 'json') {
    yield* jsonArray(mapChunks(chunks(), (account) => account));
    return;
  }
  const attributeKeys = new Set<string>();
  for await (const chunk of chunks())
    for (const account of chunk) for (const key of Object.keys(account.attributes)) attributeKeys.add(key);
  const extra = [...attributeKeys].sort();
  yield csvRows([[...ACCOUNT_HEADERS, ...extra]], csv);
  for await (const chunk of chunks()) {
    yield csvRows(
      chunk.map((account) => [
        ...accountCells(account),
        ...extra.map(
          (key) => (Object.hasOwn(account.attributes, key) ? account.attributes[key] : null) ?? '',
        ),
      ]),
      csv,
    );
  }
}

function accountCells(account: Account): CsvValue[] {
  return [
    account.externalId,
    account.name,
    account.ownerEmail ?? '',
    account.teamName ?? '',
    account.tier ?? '',
    account.arr,
    account.renewalDate ?? '',
    account.lifecycleStage ?? '',
  ];
}

async function* mapChunks<T, U>(chunks: AsyncIterable<T[]>, map: (item: T) => U): AsyncGenerator<U[]> {
  for await (const chunk of chunks) yield chunk.map(map);
}

async function* jsonArray<T>(chunks: AsyncIterable<T[]>): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const chunk of chunks) {
    for (const item of chunk) {
      yield `${first ? '\n' : ',\n'}${JSON.stringify(item)}`;
      first = false;
    }
  }
  yield '\n]\n';
}
