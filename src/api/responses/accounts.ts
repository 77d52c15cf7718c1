// Accounts, their contacts, timeline and signals.
import { z } from 'zod';
import type { Account, Contact } from '../../domain/account';
import { SIGNAL_KINDS } from '../../domain/signals';
import type { Services } from '../../services';
import type { AccountListItem } from '../../services/accounts';
import type { IngestReport } from '../../services/signals';
import type { AuditEntry } from '../../store/audit.repository';
import type { RollupRow, StoredSignal } from '../../store/signal.repository';
import { attributes } from '../schemas';
import { day, exactly, id, listOf, pageOf, timestamp, type Answer } from './shared';

export const accountSchema = exactly<Account>()(
  z
    .object({
      id,
      externalId: z.string().describe('The id in the CRM'),
      name: z.string(),
      ownerId: id.nullable(),
      ownerEmail: z.string().nullable(),
      teamId: id.nullable(),
      teamName: z.string().nullable(),
      tier: z.string().nullable(),
      arr: z.number(),
      renewalDate: day.nullable(),
      lifecycleStage: z.string().nullable(),
      attributes,
      createdAt: timestamp,
      updatedAt: timestamp,
      version: z.number().int().describe('Send it back with a change; 409 VERSION_CONFLICT when it moved on'),
    })
    .meta({ id: 'Account' }),
);

export const accountListItemSchema = exactly<AccountListItem>()(
  accountSchema
    .extend({
      health: z
        .object({ score: z.number(), band: z.string() })
        .nullable()
        .describe('The latest health score; null before the account was first scored'),
      lastActivityAt: timestamp.nullable().describe('When the account last sent a signal; null if never'),
    })
    .meta({ id: 'AccountListItem' }),
);

export const accountPageResponse = pageOf(accountListItemSchema).meta({ id: 'AccountPage' });

export const contactSchema = exactly<Contact>()(
  z
    .object({
      id,
      accountId: id,
      email: z.string(),
      name: z.string().nullable(),
      role: z.string().nullable(),
      isChampion: z.boolean(),
      attributes,
      createdAt: timestamp,
      updatedAt: timestamp,
    })
    .meta({ id: 'Contact' }),
);

export const contactsResponse = listOf(contactSchema);

export const auditEntrySchema = exactly<AuditEntry>()(
  z
    .object({
      id,
      at: timestamp,
      actorId: id.nullable(),
      actor: z.string().describe('Who made the change: a user’s e-mail, a token or the system'),
      entityType: z.string(),
      entityId: z.string(),
      accountId: id.nullable(),
      action: z.string(),
      changes: z.record(z.string(), z.unknown()),
    })
    .meta({ id: 'AuditEntry' }),
);

export const auditEntriesResponse = listOf(auditEntrySchema);

export const erasureResponse = exactly<Answer<Services['accounts']['erase']>>()(
  z.object({
    accountId: id,
    auditEntriesScrubbed: z.number().int().describe('Audit entries that now keep only who, what and when'),
  }),
);

export const ingestReportSchema = exactly<IngestReport>()(
  z
    .object({
      received: z.number().int(),
      inserted: z.number().int(),
      duplicates: z.number().int().describe('Records whose idempotency key was already stored'),
      createdAccounts: z.array(z.string()).describe('External ids of the placeholder accounts created'),
    })
    .meta({ id: 'IngestReport' }),
);

export const signalSchema = exactly<StoredSignal>()(
  z
    .object({
      id,
      accountId: id,
      kind: z.enum(SIGNAL_KINDS),
      occurredAt: timestamp,
      receivedAt: timestamp,
      idempotencyKey: z.string().nullable(),
      value: z.number().nullable(),
      data: z.record(z.string(), z.unknown()),
      source: z.string(),
    })
    .meta({ id: 'Signal' }),
);

export const signalsResponse = listOf(signalSchema);

export const rollupSchema = exactly<RollupRow>()(
  z
    .object({
      accountId: id,
      metric: z.string(),
      day,
      value: z.number(),
      samples: z.number().int(),
    })
    .meta({ id: 'Rollup' }),
);

export const rollupsResponse = listOf(rollupSchema);
