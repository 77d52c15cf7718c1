// An import's upload is received into a temporary file before the import begins. The import holds
// the store's write transaction (on SQLite, the one writer lock) from its first row to its commit;
// reading straight from the network let a client that sends slowly, or stops half way, hold every
// other write (logins included) for as long as it liked. Spooled, the transaction lasts as long as
// the store takes to read a local file, and a slow client holds nothing but its own connection.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors';
import { tooLarge } from '../services/import-encoding';

/**
 * Writes `body` to a private temporary file (refusing it past `limit` bytes, and leaving the rest
 * unread), then calls `use` with the file as a stream; the file is removed afterwards.
 */
export function spooled<T>(body: Readable, limit: number, use: (file: Readable) => Promise<T>): Promise<T> {
  return inTemporaryFile((path) => receive(body, path, limit), use);
}

/**
 * The one file of a multipart/form-data request (a browser's form, `curl -F`), spooled as
 * `spooled` does; the form's other fields are read past. A form with no file, or with two, is
 * refused before anything is imported.
 */
export function spooledFormFile<T>(
  request: FastifyRequest,
  limit: number,
  use: (file: Readable) => Promise<T>,
): Promise<T> {
  return inTemporaryFile(async (path) => {
    let files = 0;
    try {
      for await (const part of request.parts({ limits: { fileSize: limit + 1, fields: 50, parts: 100 } })) {
        if (part.type !== 'file') continue;
        files += 1;
        if (files > 1) {
          throw new AppError(
            'UPLOAD_MANY_FILES',
            `The form holds more than one file ("${part.filename}" is the second); send one file per import.`,
          );
        }
        await receive(part.file, path, limit);
      }
    } catch (error) {
      throw formError(error, limit);
    }
    if (files === 0) {
      throw new AppError(
        'UPLOAD_NO_FILE',
        'The form holds no file. Send the CSV as a file field (curl -F file=@accounts.csv), or as the body with Content-Type: text/csv.',
      );
    }
  }, use);
}

/** The multipart reader's errors (a form cut short, no boundary, too many parts), as Retain's. */
export function formError(error: unknown, limit: number): unknown {
  // Ours (too large, cut short) and the system's (writing the temporary file) stay as they are.
  if (error instanceof AppError || !(error instanceof Error) || 'syscall' in error) return error;
  if ('code' in error && error.code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge(limit);
  return new AppError(
    'BAD_REQUEST',
    `The multipart form could not be read (${error.message}); nothing was done.`,
  );
}

async function inTemporaryFile<T>(
  write: (path: string) => Promise<void>,
  use: (file: Readable) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'retain-upload-'));
  try {
    const path = join(dir, 'body');
    await write(path);
    return await use(createReadStream(path));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function receive(body: Readable, path: string, limit: number): Promise<void> {
  // The body may have failed or ended early before this was called (a decompressor's error while
  // the folder was made): its events are gone, so read its state.
  if (body.errored) return Promise.reject(body.errored);
  if (body.destroyed && !body.readableEnded) return Promise.reject(incomplete());
  return new Promise((resolve, reject) => {
    const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    let bytes = 0;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      // The request itself is left as it is: the answer goes out, then the connection closes.
      body.unpipe(out);
      body.pause();
      out.destroy();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) fail(tooLarge(limit));
    });
    body.once('error', fail);
    body.once('close', () => {
      if (!body.readableEnded) fail(incomplete());
    });
    out.once('error', fail);
    out.once('finish', () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    body.pipe(out);
  });
}

/** The client's upload ended before its whole body arrived. */
export function incomplete(): AppError {
  return new AppError(
    'UPLOAD_INCOMPLETE',
    'The upload ended before the whole file arrived; nothing was imported.',
  );
}
