// Exports of accounts, contacts and risk cases as CSV or JSON lines, streamed chunk by chunk.
import type { Account } from '../domain/account';
import { csvRows, type CsvOptions, type CsvValue } from '../domain/csv-cell';
import { AccountRepository } from '../store/account.repository';
import type { ServiceContext } from './context';
import type { RiskCaseService } from './risk-cases';

export type ExportFormat = 'csv' | 'json';

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
   * a spreadsheet formula are neutralised unless `csv.raw`.
   */
  async *accounts(format: ExportFormat, csv: CsvOptions = {}): AsyncGenerator<string> {
    const repo = new AccountRepository(this.context.store.db);
    if (format === 'json') {
      yield* jsonArray(mapChunks(repo.iterateAll(), (account) => account));
      return;
    }
    const attributeKeys = new Set<string>();
    for await (const chunk of repo.iterateAll())
      for (const account of chunk) for (const key of Object.keys(account.attributes)) attributeKeys.add(key);
    const extra = [...attributeKeys].sort();
    yield csvRows([[...ACCOUNT_HEADERS, ...extra]], csv);
    for await (const chunk of repo.iterateAll()) {
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
