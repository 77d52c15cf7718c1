// `retain backup FILE` and `retain restore FILE`: an online, consistent copy of an SQLite store and
// its verified restore. PostgreSQL stores are backed up with pg_dump / pg_restore (see the README).
import { copyFileSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import type { Command } from 'commander';
import { AppError } from '../../domain/errors';
import { isPostgresTarget, MIGRATION_NAMES, openStore, resolveStoreTarget } from '../../store/db';

const PG_HINT =
  'Back up PostgreSQL with `pg_dump --format=custom --file retain.dump <url>` and restore with ' +
  '`pg_restore --clean --if-exists --dbname <url> retain.dump`.';

/** Checks a backup file: a sound SQLite database holding a Retain schema this version knows. */
function verifyBackup(file: string): { accounts: number; migrations: string[] } {
  if (!existsSync(file)) throw new AppError('FILE_NOT_READABLE', `No backup file "${file}".`, { file });
  let db: SqliteDatabase.Database;
  try {
    db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new AppError('BACKUP_INVALID', `"${file}" is not an SQLite database.`, {
      file,
      cause: String(error),
    });
  }
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok')
      throw new AppError('BACKUP_INVALID', `"${file}" fails the integrity check: ${String(integrity)}.`, {
        file,
      });
    const hasSchema = db
      .prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'")
      .get();
    if (!hasSchema) throw new AppError('BACKUP_INVALID', `"${file}" is not a Retain store.`, { file });
    const migrations = (
      db.prepare('select name from kysely_migration order by name').all() as { name: string }[]
    ).map((row) => row.name);
    const unknown = migrations.filter((name) => !MIGRATION_NAMES.includes(name));
    if (unknown.length > 0) {
      throw new AppError(
        'BACKUP_INVALID',
        `"${file}" comes from a newer Retain (migrations ${unknown.join(', ')}).`,
        {
          file,
          unknown,
        },
      );
    }
    const { n } = db.prepare('select count(*) as n from accounts').get() as { n: number };
    return { accounts: n, migrations };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('BACKUP_INVALID', `"${file}" cannot be read as a Retain store.`, {
      file,
      cause: String(error),
    });
  } finally {
    db.close();
  }
}

export function backupCommands(program: Command): void {
  program
    .command('backup')
    .argument('<file>', 'where to write the backup')
    .description('write an online, consistent copy of the SQLite store (the server may keep running)')
    .option('--db <target>', 'SQLite file path')
    .option('--force', 'overwrite an existing file')
    .action(async (file: string, options: { db?: string; force?: boolean }) => {
      const target = resolveStoreTarget(options.db);
      if (isPostgresTarget(target)) throw new AppError('UNSUPPORTED_FOR_STORE', PG_HINT);
      if (existsSync(file) && !options.force) {
        throw new AppError('FILE_EXISTS', `"${file}" exists; pass --force to overwrite it.`, { file });
      }
      const store = await openStore(target);
      try {
        await store.backup?.(file);
      } finally {
        await store.close();
      }
      // A backup is one self-contained file: no write-ahead log beside it.
      const copy = new SqliteDatabase(file);
      copy.pragma('journal_mode = DELETE');
      copy.close();
      const checked = verifyBackup(file);
      process.stdout.write(
        `Backed up ${store.location} to ${file} (${statSync(file).size} bytes, ${checked.accounts} accounts, integrity ok).\n`,
      );
    });

  program
    .command('restore')
    .argument('<file>', 'a backup written by `retain backup`')
    .description('replace the SQLite store with a verified backup (stop the server first)')
    .option('--db <target>', 'SQLite file path')
    .action(async (file: string, options: { db?: string }) => {
      const target = resolveStoreTarget(options.db);
      if (isPostgresTarget(target)) throw new AppError('UNSUPPORTED_FOR_STORE', PG_HINT);
      const checked = verifyBackup(file);
      // Copy beside the target, then swap it in with a rename, so a crash leaves one whole file.
      const staging = `${target}.restoring`;
      copyFileSync(file, staging);
      for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
      renameSync(staging, target);
      const store = await openStore(target);
      await store.close();
      process.stdout.write(`Restored ${target} from ${file} (${checked.accounts} accounts).\n`);
    });
}
