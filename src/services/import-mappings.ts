// Import mappings saved by name ("Salesforce accounts report", "HubSpot contacts"): which column
// is which field, and the file's locale and encoding. An import names one (`savedMapping`) and
// reads its file the same way every time; what the import itself says wins over what was saved.
import type { Selectable } from 'kysely';
import { z } from 'zod';
import { AppError } from '../domain/errors';
import { INPUT_LIMITS, preview } from '../domain/input-limits';
import { assertCan, type Actor } from '../domain/policy';
import { valueLocale, LOCALE_TAGS } from '../domain/values';
import { AuditRepository } from '../store/audit.repository';
import type { ImportMappingTable } from '../store/schema';
import { inTransaction, type ServiceContext } from './context';
import { ACCOUNT_TARGETS, CONTACT_TARGETS, SIGNAL_TARGETS } from './csv-mapping';
import { checkEncoding } from './import-encoding';

export const IMPORT_KINDS = ['accounts', 'contacts', 'signals'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

const TARGETS: Readonly<Record<ImportKind, readonly string[]>> = {
  accounts: ACCOUNT_TARGETS,
  contacts: CONTACT_TARGETS,
  signals: SIGNAL_TARGETS,
};

export interface SavedMapping {
  id: number;
  kind: ImportKind;
  name: string;
  /** Header -> field, `attribute`, `attribute:<name>` or `ignore`. */
  columns: Record<string, string>;
  locale: string | null;
  encoding: string | null;
  updatedBy: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** What a user saves: the columns, and optionally how the file writes values. */
export const savedMappingInput = z
  .object({
    columns: z
      .record(
        z.string().min(1).max(1_000),
        z
          .string()
          .min(1)
          .max(INPUT_LIMITS.attributes.keyLength + 10),
      )
      .refine((columns) => Object.keys(columns).length <= 1_000, 'at most 1,000 columns'),
    locale: z
      .string()
      .max(40)
      .nullable()
      .default(null)
      .refine((tag) => tag === null || valueLocale(tag) !== null, `one of ${LOCALE_TAGS.join(', ')}`),
    encoding: z.string().max(40).nullable().default(null),
    /** The version it was read at, to replace one that exists; a stale one is a conflict. */
    version: z.number().int().min(1).optional(),
  })
  .strict();
export type SavedMappingInput = z.input<typeof savedMappingInput>;

/** A mapping's name, trimmed: 1 to 100 characters. */
function checkName(name: string): string {
  const title = name.normalize('NFC').trim();
  if (title.length === 0 || title.length > 100) {
    throw new AppError('VALIDATION_FAILED', 'A saved mapping needs a name of 1 to 100 characters.', {
      field: 'name',
    });
  }
  return title;
}

function toMapping(row: Selectable<ImportMappingTable>): SavedMapping {
  const parsed: unknown = JSON.parse(row.columns);
  const columns = z.record(z.string(), z.string()).parse(parsed);
  return {
    id: row.id,
    kind: z.enum(IMPORT_KINDS).parse(row.kind),
    name: row.name,
    // Headers are user text: an own property each, never a member of Object.prototype.
    columns: Object.assign(Object.create(null) as Record<string, string>, columns),
    locale: row.locale,
    encoding: row.encoding,
    updatedBy: row.updated_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

/** Refuses a column mapped to something the kind of import has no field for. */
function checkTargets(kind: ImportKind, columns: Readonly<Record<string, string>>): void {
  for (const [header, target] of Object.entries(columns)) {
    if (target === 'ignore' || target === 'attribute' || target.startsWith('attribute:')) continue;
    if (!TARGETS[kind].includes(target)) {
      throw new AppError(
        'IMPORT_MAPPING_INVALID',
        `Column "${preview(header)}" maps to unknown field "${preview(target)}".`,
        {
          column: preview(header, INPUT_LIMITS.attributes.keyLength),
          fields: [...TARGETS[kind], 'attribute', 'ignore'],
        },
      );
    }
  }
}

function raced(kind: ImportKind, name: string): AppError {
  return new AppError(
    'VERSION_CONFLICT',
    `The ${kind} mapping "${preview(name)}" was saved by someone else just now; reload it and save again.`,
  );
}

export class ImportMappingService {
  constructor(private readonly context: ServiceContext) {}

  /** Saved mappings are configuration: admins read and change them; ingest keys only use them. */
  async list(actor: Actor, kind?: ImportKind): Promise<SavedMapping[]> {
    assertCan(actor, 'config.write');
    let query = this.context.store.db.selectFrom('import_mappings').selectAll();
    if (kind !== undefined) query = query.where('kind', '=', kind);
    const rows = await query.orderBy('kind').orderBy('name').execute();
    return rows.map(toMapping);
  }

  async get(actor: Actor, kind: ImportKind, name: string): Promise<SavedMapping> {
    assertCan(actor, 'config.write');
    return this.find(kind, name);
  }

  private async find(kind: ImportKind, name: string): Promise<SavedMapping> {
    const row = await this.context.store.db
      .selectFrom('import_mappings')
      .selectAll()
      .where('kind', '=', kind)
      .where('name', '=', checkName(name))
      .executeTakeFirst();
    if (!row) {
      throw new AppError('IMPORT_MAPPING_NOT_FOUND', `No saved ${kind} mapping named "${preview(name)}".`, {
        kind,
        name: preview(name, 100),
      });
    }
    return toMapping(row);
  }

  /**
   * Saves a mapping under its name. Replacing one that exists needs the version it was read at,
   * so two people saving the same name never silently overwrite each other.
   */
  async save(
    actor: Actor,
    kind: ImportKind,
    name: string,
    input: SavedMappingInput,
  ): Promise<{ mapping: SavedMapping; created: boolean }> {
    assertCan(actor, 'config.write');
    const title = checkName(name);
    const fields = savedMappingInput.parse(input);
    checkTargets(kind, fields.columns);
    const encoding = fields.encoding === null ? null : checkEncoding(fields.encoding);
    const locale = fields.locale === null ? null : (valueLocale(fields.locale)?.tag ?? null);
    const now = this.context.clock.now().toISOString();
    const row = {
      columns: JSON.stringify(fields.columns),
      locale,
      encoding,
      updated_by: actor.label,
      updated_at: now,
    };
    return inTransaction(this.context, async (db) => {
      const current = await db
        .selectFrom('import_mappings')
        .select(['id', 'version'])
        .where('kind', '=', kind)
        .where('name', '=', title)
        .executeTakeFirst();
      let id: number;
      if (current) {
        if (fields.version !== current.version) {
          throw new AppError(
            'VERSION_CONFLICT',
            fields.version === undefined
              ? `A ${kind} mapping named "${preview(title)}" exists; send its version to replace it, or pick another name.`
              : `The ${kind} mapping "${preview(title)}" was changed by someone else; reload it and save again.`,
            { currentVersion: current.version },
          );
        }
        // Only the version that was read: a save that raced this one and won leaves nothing to update.
        const updated = await db
          .updateTable('import_mappings')
          .set({ ...row, version: current.version + 1 })
          .where('id', '=', current.id)
          .where('version', '=', current.version)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) throw raced(kind, title);
        id = current.id;
      } else {
        const inserted = await db
          .insertInto('import_mappings')
          .values({ ...row, kind, name: title, created_at: now })
          .onConflict((oc) => oc.columns(['kind', 'name']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) throw raced(kind, title);
        id = inserted.id;
      }
      await new AuditRepository(db).append(actor, this.context.clock.now(), [
        {
          entityType: 'import_mapping',
          entityId: `${kind}/${title}`,
          accountId: null,
          action: current ? 'updated' : 'created',
          changes: { columns: fields.columns, locale, encoding },
        },
      ]);
      const saved = await db
        .selectFrom('import_mappings')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return { mapping: toMapping(saved), created: !current };
    });
  }

  /**
   * An import's options with a saved mapping under them: the import's own mapping, locale and
   * encoding win column by column over the saved ones.
   */
  async applyTo<
    T extends {
      mapping?: Record<string, string>;
      savedColumns?: readonly string[];
      locale?: string;
      encoding?: string;
    },
  >(actor: Actor, kind: ImportKind, name: string | undefined, options: T): Promise<T> {
    if (name === undefined) return options;
    assertCan(actor, 'data.import');
    const saved = await this.find(kind, name);
    const locale = options.locale ?? saved.locale;
    const encoding = options.encoding ?? saved.encoding;
    return {
      ...options,
      mapping: Object.assign(Object.create(null) as Record<string, string>, saved.columns, options.mapping),
      savedColumns: Object.keys(saved.columns).filter(
        (header) => !Object.hasOwn(options.mapping ?? {}, header),
      ),
      ...(locale !== null && { locale }),
      ...(encoding !== null && { encoding }),
    };
  }

  async remove(actor: Actor, kind: ImportKind, name: string): Promise<void> {
    const mapping = await this.get(actor, kind, name);
    await inTransaction(this.context, async (db) => {
      await db.deleteFrom('import_mappings').where('id', '=', mapping.id).execute();
      await new AuditRepository(db).append(actor, this.context.clock.now(), [
        {
          entityType: 'import_mapping',
          entityId: `${kind}/${mapping.name}`,
          accountId: null,
          action: 'deleted',
          changes: {},
        },
      ]);
    });
  }
}
