// Column mapping for CRM CSV exports: recognises Salesforce- and HubSpot-style headers, accepts an
// explicit mapping, and keeps any other column as a free-form attribute.
import { distance } from 'fastest-levenshtein';
import { AppError } from '../domain/errors';
import { INPUT_LIMITS, attributeIssues, isReservedKey, preview } from '../domain/input-limits';

export const ACCOUNT_TARGETS = [
  'externalId',
  'name',
  'ownerEmail',
  'team',
  'tier',
  'arr',
  'renewalDate',
  'lifecycleStage',
] as const;
export type AccountTarget = (typeof ACCOUNT_TARGETS)[number];

export const CONTACT_TARGETS = [
  'accountExternalId',
  'email',
  'name',
  'firstName',
  'lastName',
  'role',
  'isChampion',
] as const;
export type ContactTarget = (typeof CONTACT_TARGETS)[number];

/** What a column becomes: a known field, an attribute under its header, or nothing. */
export type ColumnTarget<T extends string> =
  { kind: 'field'; field: T } | { kind: 'attribute'; name: string } | { kind: 'ignore' };

// Salesforce names custom fields with a `__c` suffix (`ARR__c`, `Renewal_Date__c`): the same field.
const normalise = (header: string) =>
  header
    .replace(/__c$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

const ACCOUNT_SYNONYMS: Record<AccountTarget, string[]> = {
  externalId: [
    'externalid',
    'accountid',
    'id',
    'recordid',
    'companyid',
    'salesforceid',
    'accountnumber',
    'crmid',
  ],
  name: ['name', 'accountname', 'companyname', 'company'],
  ownerEmail: [
    'owneremail',
    'accountowneremail',
    'companyowneremail',
    'csmemail',
    'owner',
    'accountowner',
    'companyowner',
    'csm',
  ],
  team: ['team', 'csteam', 'teamname', 'ownerteam'],
  tier: ['tier', 'customertier', 'accounttier', 'servicetier', 'segment'],
  arr: ['arr', 'annualrecurringrevenue', 'arrusd', 'currentarr'],
  renewalDate: ['renewaldate', 'contractenddate', 'nextrenewaldate', 'renewal', 'contractrenewaldate'],
  lifecycleStage: ['lifecyclestage', 'customerstage', 'accountstage', 'lifecycle'],
};

const CONTACT_SYNONYMS: Record<ContactTarget, string[]> = {
  accountExternalId: [
    'accountexternalid',
    'accountid',
    'companyid',
    'associatedcompanyid',
    'associatedcompanyids',
    'account',
    'externalaccountid',
  ],
  email: ['email', 'emailaddress', 'contactemail'],
  name: ['name', 'fullname', 'contactname'],
  firstName: ['firstname', 'givenname'],
  lastName: ['lastname', 'surname', 'familyname'],
  role: ['role', 'title', 'jobtitle', 'contactrole'],
  isChampion: ['champion', 'ischampion', 'championflag'],
};

export const SIGNAL_TARGETS = ['account', 'kind', 'occurredAt', 'idempotencyKey'] as const;
export type SignalTarget = (typeof SIGNAL_TARGETS)[number];

const SIGNAL_SYNONYMS: Record<SignalTarget, string[]> = {
  account: ['account', 'accountid', 'accountexternalid', 'externalid', 'companyid', 'customerid'],
  kind: ['kind', 'type', 'signal', 'signaltype', 'signalkind'],
  occurredAt: ['occurredat', 'timestamp', 'time', 'eventtime', 'date', 'occurred'],
  idempotencyKey: ['idempotencykey', 'eventid', 'messageid', 'dedupekey', 'key'],
};

/**
 * Decides what each header maps to. An explicit mapping (header -> field name, `attribute` or
 * `ignore`) wins; other headers are matched against known CRM names; the rest become attributes.
 */
export function resolveMapping<T extends string>(
  headers: readonly string[],
  targets: readonly T[],
  synonyms: Record<T, string[]>,
  explicitMapping: Readonly<Record<string, string>> = {},
): ColumnTarget<T>[] {
  // Headers are user text: look them up in a Map, never as keys of a plain object, so `toString`
  // or `constructor` is a header like any other and not a member of Object.prototype.
  const explicit = new Map(Object.entries(explicitMapping));
  for (const header of explicit.keys()) {
    if (!headers.includes(header)) {
      throw new AppError(
        'IMPORT_MAPPING_INVALID',
        `The mapping names column "${preview(header)}", which is not in the file.`,
        {
          column: preview(header, INPUT_LIMITS.attributes.keyLength),
          columns: headers.map((name) => preview(name, INPUT_LIMITS.attributes.keyLength)),
        },
      );
    }
  }
  const taken = new Set<T>();
  const result = headers.map((header): ColumnTarget<T> => {
    const wanted = explicit.get(header);
    if (wanted !== undefined) {
      if (wanted === 'ignore') return { kind: 'ignore' };
      if (wanted === 'attribute') return attributeColumn(header, header);
      if (wanted.startsWith('attribute:')) return attributeColumn(header, wanted.slice('attribute:'.length));
      const field = targets.find((target) => target === wanted);
      if (!field) {
        throw new AppError(
          'IMPORT_MAPPING_INVALID',
          `Column "${preview(header)}" maps to unknown field "${preview(wanted)}".`,
          {
            column: preview(header, INPUT_LIMITS.attributes.keyLength),
            fields: [...targets, 'attribute', 'ignore'],
          },
        );
      }
      if (taken.has(field)) {
        throw new AppError('IMPORT_MAPPING_INVALID', `Two columns map to field "${field}".`, {
          column: preview(header, INPUT_LIMITS.attributes.keyLength),
          field,
        });
      }
      taken.add(field);
      return { kind: 'field', field };
    }
    return { kind: 'attribute', name: header };
  });
  // Known CRM names fill the fields the explicit mapping left open.
  headers.forEach((header, index) => {
    if (explicit.has(header)) return;
    const key = normalise(header);
    const field = targets.find((target) => !taken.has(target) && synonyms[target].includes(key));
    if (field) {
      taken.add(field);
      result[index] = { kind: 'field', field };
    }
  });
  // What is left becomes an attribute, so it must be a name an attribute may have.
  result.forEach((target, index) => {
    if (target.kind === 'attribute') attributeColumn(headers[index] ?? '', target.name);
  });
  return result;
}

/** A column kept as an attribute `name`; refuses names no attribute may have, naming the column. */
function attributeColumn(header: string, name: string): { kind: 'attribute'; name: string } {
  const { keyLength } = INPUT_LIMITS.attributes;
  if (name.length > keyLength) {
    throw new AppError(
      'IMPORT_MAPPING_INVALID',
      `Column "${preview(header)}" is longer than ${keyLength} characters, too long for an attribute name; rename it or map it to ignore.`,
      { column: preview(header, keyLength), limit: keyLength },
    );
  }
  if (isReservedKey(name)) {
    throw new AppError(
      'IMPORT_MAPPING_INVALID',
      `Column "${preview(header)}" cannot be kept as attribute "${name}"; rename it, map it to "attribute:<name>" or to ignore.`,
      { column: preview(header, keyLength) },
    );
  }
  return { kind: 'attribute', name };
}

/** A cell over its limit: its column and what is wrong, without echoing the cell. */
export interface CellLimitError {
  column: string | null;
  message: string;
}

/**
 * The cells of one row that are over their limits: a cell mapped to a field against that field's
 * limit (`limits`), an attribute cell against the attribute limits, and the row's attributes as a
 * whole. Checked before any cell is parsed, so no message ever quotes an oversized cell.
 */
export function cellLimitErrors<T extends string>(
  headers: readonly string[],
  mapping: readonly ColumnTarget<T>[],
  cells: readonly string[],
  limits: Readonly<Record<T, number>>,
): CellLimitError[] {
  const errors: CellLimitError[] = [];
  const attributes = new Map<string, string>();
  mapping.forEach((target, index) => {
    if (target.kind === 'ignore') return;
    const text = (cells[index] ?? '').trim();
    const limit = target.kind === 'field' ? limits[target.field] : INPUT_LIMITS.attributes.valueLength;
    if (text.length > limit) {
      errors.push({
        column: headers[index] ?? null,
        message: `is ${text.length.toLocaleString('en-US')} characters long; at most ${limit.toLocaleString('en-US')} are allowed`,
      });
    } else if (target.kind === 'attribute' && text !== '') attributes.set(target.name, text);
  });
  if (errors.length > 0) return errors;
  return attributeIssues(Object.fromEntries(attributes)).map((issue) => ({
    column: null,
    message: `attributes ${issue.message}`,
  }));
}

/** What each CSV cell of an account row may hold. */
export const ACCOUNT_CELL_LIMITS: Readonly<Record<AccountTarget, number>> = {
  externalId: INPUT_LIMITS.account.externalId,
  name: INPUT_LIMITS.account.name,
  ownerEmail: INPUT_LIMITS.account.ownerEmail,
  team: INPUT_LIMITS.account.team,
  tier: INPUT_LIMITS.account.tier,
  arr: INPUT_LIMITS.account.value,
  renewalDate: INPUT_LIMITS.account.value,
  lifecycleStage: INPUT_LIMITS.account.lifecycleStage,
};

/** What each CSV cell of a contact row may hold; a full name made of two cells is checked whole. */
export const CONTACT_CELL_LIMITS: Readonly<Record<ContactTarget, number>> = {
  accountExternalId: INPUT_LIMITS.account.externalId,
  email: INPUT_LIMITS.contact.email,
  name: INPUT_LIMITS.contact.name,
  firstName: INPUT_LIMITS.contact.name,
  lastName: INPUT_LIMITS.contact.name,
  role: INPUT_LIMITS.contact.role,
  isChampion: INPUT_LIMITS.account.value,
};

export const accountMapping = (headers: readonly string[], explicit?: Record<string, string>) =>
  resolveMapping(headers, ACCOUNT_TARGETS, ACCOUNT_SYNONYMS, explicit);

export const contactMapping = (headers: readonly string[], explicit?: Record<string, string>) =>
  resolveMapping(headers, CONTACT_TARGETS, CONTACT_SYNONYMS, explicit);

/** A column kept as an attribute whose header looks like a field no column fills. */
export interface Lookalike {
  column: string;
  field: string;
  message: string;
}

/** What each field is called in a sentence. */
const FIELD_LABELS: Readonly<Record<AccountTarget | ContactTarget | SignalTarget, string>> = {
  externalId: 'the account id',
  name: 'the name',
  ownerEmail: 'the owner',
  team: 'the team',
  tier: 'the tier',
  arr: 'ARR',
  renewalDate: 'the renewal date',
  lifecycleStage: 'the lifecycle stage',
  accountExternalId: "the account's id",
  email: 'the email',
  firstName: 'the first name',
  lastName: 'the last name',
  role: 'the role',
  isChampion: 'the champion flag',
  account: 'the account',
  kind: 'the signal kind',
  occurredAt: 'the time it happened',
  idempotencyKey: 'the idempotency key',
};

/** A header looks like a known name when one holds the other, or they are a typo or two apart. */
function looksLike(header: string, name: string): boolean {
  if (header.length < 3 || name.length < 3) return header === name;
  if (name.length >= 5 && header.includes(name)) return true;
  if (header.length >= 4 && name.includes(header)) return true;
  return distance(header, name) <= Math.floor(Math.min(header.length, name.length) / 5);
}

/**
 * The columns an import keeps as attributes although their header looks like a field that no
 * column fills (`OWNERID` while nothing is the owner, `Renewal_Dt__c` while nothing is the
 * renewal date): the file imports, and the report says which column to map if it is that field.
 */
function lookalikes<T extends AccountTarget | ContactTarget | SignalTarget>(
  headers: readonly string[],
  mapping: readonly ColumnTarget<T>[],
  targets: readonly T[],
  synonyms: Record<T, string[]>,
  explicit: Readonly<Record<string, string>>,
): Lookalike[] {
  const filled = new Set(mapping.flatMap((target) => (target.kind === 'field' ? [target.field] : [])));
  const given = new Set(Object.keys(explicit));
  const found: Lookalike[] = [];
  headers.forEach((header, index) => {
    const target = mapping[index];
    if (target?.kind !== 'attribute' || given.has(header)) return;
    const key = normalise(header);
    const field = targets.find(
      (candidate) => !filled.has(candidate) && synonyms[candidate].some((name) => looksLike(key, name)),
    );
    if (field === undefined) return;
    found.push({
      column: header,
      field,
      message:
        `Column "${preview(header)}" looks like ${FIELD_LABELS[field]} (${field}), which no column fills; ` +
        `it is kept as attribute "${preview(target.name)}". Map it to ${field} if that is what it holds, or to ignore.`,
    });
  });
  return found;
}

export const accountLookalikes = (
  headers: readonly string[],
  mapping: readonly ColumnTarget<AccountTarget>[],
  explicit: Readonly<Record<string, string>> = {},
) => lookalikes(headers, mapping, ACCOUNT_TARGETS, ACCOUNT_SYNONYMS, explicit);

export const contactLookalikes = (
  headers: readonly string[],
  mapping: readonly ColumnTarget<ContactTarget>[],
  explicit: Readonly<Record<string, string>> = {},
) => lookalikes(headers, mapping, CONTACT_TARGETS, CONTACT_SYNONYMS, explicit);

/** Signal columns: the envelope by name; every other column is a field of the signal's data. */
export const signalMapping = (headers: readonly string[], explicit?: Record<string, string>) =>
  resolveMapping(headers, SIGNAL_TARGETS, SIGNAL_SYNONYMS, explicit);

/** `seats_used`, `Seats Used` and `seatsUsed` all name the data field `seatsUsed`. */
export function camelCase(header: string): string {
  const words = header
    .trim()
    .split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
  return words.map((word, index) => (index === 0 ? word : word[0]?.toUpperCase() + word.slice(1))).join('');
}

/**
 * Parses `--map "Header=field,Other=attribute"` into a mapping object; a JSON object
 * (`{"Header, with comma": "field"}`) takes any header.
 */
export function parseMappingOption(text: string): Record<string, string> {
  if (text.trimStart().startsWith('{')) return parseMappingJson(text);
  // Without a prototype, a header such as `__proto__` or `constructor` is an ordinary key.
  const mapping = Object.create(null) as Record<string, string>;
  for (const pair of text.split(',')) {
    const index = pair.lastIndexOf('=');
    if (index <= 0) {
      throw new AppError('IMPORT_MAPPING_INVALID', `"${preview(pair)}" is not Header=field.`, {
        mapping: preview(text, 1_000),
      });
    }
    mapping[pair.slice(0, index).trim()] = pair.slice(index + 1).trim();
  }
  return mapping;
}

function parseMappingJson(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError('IMPORT_MAPPING_INVALID', 'The mapping is not valid JSON.', {
      mapping: preview(text, 1_000),
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new AppError('IMPORT_MAPPING_INVALID', 'The mapping must be an object of header: field.', {
      mapping: preview(text, 1_000),
    });
  const mapping = Object.create(null) as Record<string, string>;
  for (const [header, target] of Object.entries(parsed)) {
    if (typeof target !== 'string')
      throw new AppError(
        'IMPORT_MAPPING_INVALID',
        `The mapping of "${preview(header)}" must be a field name.`,
        { header: preview(header, INPUT_LIMITS.attributes.keyLength) },
      );
    mapping[header] = target;
  }
  return mapping;
}
