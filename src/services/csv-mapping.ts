// Column mapping for CRM CSV exports: recognises Salesforce- and HubSpot-style headers, accepts an
// explicit mapping, and keeps any other column as a free-form attribute.
import { AppError } from '../domain/errors';

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

const normalise = (header: string) => header.toLowerCase().replace(/[^a-z0-9]/g, '');

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
  explicit: Record<string, string> = {},
): ColumnTarget<T>[] {
  for (const header of Object.keys(explicit)) {
    if (!headers.includes(header)) {
      throw new AppError(
        'IMPORT_MAPPING_INVALID',
        `The mapping names column "${header}", which is not in the file.`,
        {
          column: header,
          columns: headers,
        },
      );
    }
  }
  const taken = new Set<T>();
  const result = headers.map((header): ColumnTarget<T> => {
    const wanted = explicit[header];
    if (wanted !== undefined) {
      if (wanted === 'ignore') return { kind: 'ignore' };
      if (wanted === 'attribute') return { kind: 'attribute', name: header };
      if (wanted.startsWith('attribute:'))
        return { kind: 'attribute', name: wanted.slice('attribute:'.length) };
      const field = targets.find((target) => target === wanted);
      if (!field) {
        throw new AppError(
          'IMPORT_MAPPING_INVALID',
          `Column "${header}" maps to unknown field "${wanted}".`,
          {
            column: header,
            fields: [...targets, 'attribute', 'ignore'],
          },
        );
      }
      if (taken.has(field)) {
        throw new AppError('IMPORT_MAPPING_INVALID', `Two columns map to field "${field}".`, {
          column: header,
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
    if (explicit[header] !== undefined) return;
    const key = normalise(header);
    const field = targets.find((target) => !taken.has(target) && synonyms[target].includes(key));
    if (field) {
      taken.add(field);
      result[index] = { kind: 'field', field };
    }
  });
  return result;
}

export const accountMapping = (headers: readonly string[], explicit?: Record<string, string>) =>
  resolveMapping(headers, ACCOUNT_TARGETS, ACCOUNT_SYNONYMS, explicit);

export const contactMapping = (headers: readonly string[], explicit?: Record<string, string>) =>
  resolveMapping(headers, CONTACT_TARGETS, CONTACT_SYNONYMS, explicit);

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
  const mapping: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const index = pair.lastIndexOf('=');
    if (index <= 0) {
      throw new AppError('IMPORT_MAPPING_INVALID', `"${pair}" is not Header=field.`, { mapping: text });
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
    throw new AppError('IMPORT_MAPPING_INVALID', 'The mapping is not valid JSON.', { mapping: text });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new AppError('IMPORT_MAPPING_INVALID', 'The mapping must be an object of header: field.', {
      mapping: text,
    });
  const mapping: Record<string, string> = {};
  for (const [header, target] of Object.entries(parsed)) {
    if (typeof target !== 'string')
      throw new AppError('IMPORT_MAPPING_INVALID', `The mapping of "${header}" must be a field name.`, {
        header,
      });
    mapping[header] = target;
  }
  return mapping;
}
