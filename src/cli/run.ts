// Shared plumbing of CLI commands: open the store from --db, wire services, report errors.
import { AppError, storeBusy } from '../domain/errors';
import { processClock, type Clock } from '../services/clock';
import { createServices, type Services } from '../services';
import { existsSync } from 'node:fs';
import { isPostgresTarget, openStore, resolveStoreTarget } from '../store/db';
import { isStoreBusy } from '../store/errors';

export interface DbOption {
  db?: string;
}

/** Opens the store named by --db (or DATABASE_URL, or the default file), runs `work`, closes it. */
export async function withServices<T>(
  options: DbOption & {
    /** A command that writes a book may start a new SQLite file; every other refuses a missing one. */
    createStore?: boolean;
  },
  work: (services: Services) => Promise<T>,
  clock: Clock = processClock(),
): Promise<T> {
  const target = resolveStoreTarget(options.db);
  if (!options.createStore && !isPostgresTarget(target) && target !== ':memory:' && !existsSync(target))
    throw new AppError(
      'STORE_NOT_FOUND',
      `No store at ${target}. Check the path, or create one with retain migrate --db ${target} (or retain demo).`,
      { target },
    );
  const store = await openStore(target);
  try {
    return await work(createServices(store, clock));
  } finally {
    await store.close();
  }
}

/** Prints an error as `error CODE: message` (plus row errors for imports) and sets the exit code. */
export function reportError(thrown: unknown): void {
  const error = isStoreBusy(thrown) ? storeBusy() : thrown;
  if (error instanceof AppError) {
    process.stderr.write(`error ${error.code}: ${error.message}\n`);
    const rows = error.details?.errors;
    if (Array.isArray(rows)) {
      for (const row of rows.slice(0, 50) as { line: number; column: string | null; message: string }[]) {
        process.stderr.write(
          `  line ${row.line}${row.column ? `, column "${row.column}"` : ''}: ${row.message}\n`,
        );
      }
      if (rows.length > 50) process.stderr.write(`  … and ${rows.length - 50} more\n`);
    }
    process.exitCode = 1;
    return;
  }
  process.stderr.write(
    `error INTERNAL: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 2;
}
