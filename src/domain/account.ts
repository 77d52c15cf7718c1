// Accounts and contacts as the rest of Retain sees them.
/** Free-form account facts kept from a CRM export or set through the API. */
export type Attributes = Record<string, string | number | boolean | null>;

export interface Account {
  id: number;
  externalId: string;
  name: string;
  ownerId: number | null;
  ownerEmail: string | null;
  teamId: number | null;
  teamName: string | null;
  tier: string | null;
  arr: number;
  renewalDate: string | null;
  lifecycleStage: string | null;
  attributes: Attributes;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface Contact {
  id: number;
  accountId: number;
  email: string;
  name: string | null;
  role: string | null;
  isChampion: boolean;
  attributes: Attributes;
  createdAt: string;
  updatedAt: string;
}

/** The fields of an account a user sets; everything but identity and bookkeeping. */
export interface AccountFields {
  externalId: string;
  name: string;
  ownerId: number | null;
  teamId: number | null;
  tier: string | null;
  arr: number;
  renewalDate: string | null;
  lifecycleStage: string | null;
  attributes: Attributes;
}

/** A new account known only by its id and name; everything else empty until a CRM or a user fills it. */
export function bareAccount(externalId: string, name: string, attributes: Attributes = {}): AccountFields {
  return {
    externalId,
    name,
    ownerId: null,
    teamId: null,
    tier: null,
    arr: 0,
    renewalDate: null,
    lifecycleStage: null,
    attributes,
  };
}

/** Field-by-field difference between two versions of a record, for the audit log. */
export function diffFields<T extends object>(
  before: T,
  after: Partial<T>,
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after) as (keyof T)[]) {
    const from = before[key];
    const to = after[key];
    if (to !== undefined && JSON.stringify(from) !== JSON.stringify(to)) changes[String(key)] = { from, to };
  }
  return changes;
}
