// Imports at the boundary: bytes that are not in the file's encoding, NUL characters and files over
// the limit are refused with their line and column and nothing written; an import reads its file
// as it arrives and other requests are answered while its transaction is open.
import { PassThrough, Readable } from 'node:stream';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { spooled } from '../../src/api/upload-spool';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { decodeImport, firstInvalidUtf8 } from '../../src/services/import-encoding';
import { apiWorld, errorCode } from '../api/helpers';
import { forEachStore } from '../helpers/stores';

const HEADER = 'external_id,name,tier\n';

async function accountNames(w: Awaited<ReturnType<typeof apiWorld>>): Promise<string[]> {
  const response = await w.as('admin', { method: 'GET', url: '/api/v1/accounts?limit=200' });
  return response.json<{ items: { name: string }[] }>().items.map((account) => account.name);
}

async function decodeAll(chunks: Buffer[], encoding?: string): Promise<string> {
  let text = '';
  for await (const part of Readable.from(chunks).pipe(decodeImport(encoding ? { encoding } : {})))
    text += String(part);
  return text;
}

forEachStore('import boundary', (current) => {
  it('refuses Latin-1 bytes read as UTF-8 with the line and column, and imports them with the encoding named', async () => {
    const w = await apiWorld(current());
    const body = Buffer.concat([
      Buffer.from(HEADER),
      Buffer.from('E-1,Caf'),
      Buffer.from([0xe9]),
      Buffer.from(',Pro\n'),
    ]);
    const refused = await w.as('admin', {
      method: 'POST',
      url: '/api/v1/imports/accounts',
      headers: { 'content-type': 'text/csv' },
      payload: body,
    });
    expect(refused.statusCode).toBe(422);
    const error = refused.json<{
      error: { code: string; message: string; details: Record<string, unknown> };
    }>().error;
    expect(error).toMatchObject({
      code: 'IMPORT_ENCODING',
      details: { line: 2, column: 8, bytes: '0xE9 0x2C 0x50 0x72' },
    });
    expect(error.message).toContain('encoding=windows-1252');
    expect(await accountNames(w)).not.toContain('Caf\ufffd');

    const imported = await w.as('admin', {
      method: 'POST',
      url: '/api/v1/imports/accounts?encoding=windows-1252',
      headers: { 'content-type': 'text/csv' },
      payload: body,
    });
    expect(imported.statusCode).toBe(200);
    expect(await accountNames(w)).toContain('Café');

    const unknown = await w.as('admin', {
      method: 'POST',
      url: '/api/v1/imports/accounts?encoding=klingon',
      headers: { 'content-type': 'text/csv' },
      payload: body,
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ error: { code: 'IMPORT_ENCODING_UNKNOWN' } });
  });

  it('refuses a NUL character in any import with its place, writing nothing, and points a UTF-16 file at its encoding', async () => {
    const w = await apiWorld(current());
    for (const kind of ['accounts', 'contacts', 'signals'] as const) {
      const header =
        kind === 'accounts'
          ? HEADER
          : kind === 'contacts'
            ? 'account_external_id,email,name\n'
            : 'account,kind,occurred_at\n';
      const row =
        kind === 'accounts'
          ? 'E-2,Nul\u0000Co,Pro\n'
          : kind === 'contacts'
            ? 'E-1,a@b.co,A\u0000B\n'
            : 'E-1,lo\u0000gin,2026-11-01\n';
      const response = await w.as('admin', {
        method: 'POST',
        url: `/api/v1/imports/${kind}?partial=true`,
        headers: { 'content-type': 'text/csv' },
        payload: Buffer.from(header + row),
      });
      expect(response.statusCode, kind).toBe(422);
      expect(response.json(), kind).toMatchObject({ error: { code: 'IMPORT_NUL', details: { line: 2 } } });
    }
    expect((await accountNames(w)).some((name) => name.includes('Nul'))).toBe(false);

    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`${HEADER}E-3,Zürich AG,Pro\n`, 'utf16le'),
    ]);
    const refused = await w.as('admin', {
      method: 'POST',
      url: '/api/v1/imports/accounts',
      headers: { 'content-type': 'text/csv' },
      payload: utf16,
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      error: { code: 'IMPORT_ENCODING', details: { encoding: 'utf-16le' } },
    });
    const imported = await w.as('admin', {
      method: 'POST',
      url: '/api/v1/imports/accounts?encoding=utf-16le',
      headers: { 'content-type': 'text/csv' },
      payload: utf16,
    });
    expect(imported.statusCode).toBe(200);
    expect(await accountNames(w)).toContain('Zürich AG');
  });

  it('refuses a file over the import limit, whether it says its length or not, and writes nothing', async () => {
    const w = await apiWorld(current());
    const app = await buildApp(current().services, { importLimit: 4096 });
    const rows = Array.from({ length: 400 }, (_, i) => `L-${i},Large ${i},Pro\n`).join('');
    const said = await app.inject({
      method: 'POST',
      url: '/api/v1/imports/accounts',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${w.tokens.admin}` },
      payload: HEADER + rows,
    });
    expect(said.statusCode).toBe(413);
    expect(said.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      // Chunked: the size shows only as the bytes arrive.
      const streamed = await fetch(`${address}/api/v1/imports/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', authorization: `Bearer ${w.tokens.admin}` },
        body: Readable.toWeb(Readable.from([HEADER, rows, rows])) as ReadableStream,
        duplex: 'half',
      });
      expect(streamed.status).toBe(413);
    } finally {
      await app.close();
    }
    expect((await accountNames(w)).some((name) => name.startsWith('Large'))).toBe(false);
  });

  it('reads a gzip, deflate or br body as the file it holds, and the charset its Content-Type names', async () => {
    const w = await apiWorld(current());
    const post = (payload: Buffer, headers: Record<string, string>) =>
      w.as('ingest', { method: 'POST', url: '/api/v1/imports/accounts', headers, payload });
    const file = (id: string) => Buffer.from(`${HEADER}${id},Zipped ${id},Pro\n`);
    for (const [coding, pack] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const) {
      const response = await post(pack(file(`Z-${coding}`)), {
        'content-type': 'text/csv',
        'content-encoding': coding,
      });
      expect(response.statusCode, coding).toBe(200);
      expect(response.json()).toMatchObject({ created: 1 });
    }
    const broken = await post(Buffer.from('not gzip at all'), {
      'content-type': 'text/csv',
      'content-encoding': 'gzip',
    });
    expect(broken.statusCode).toBe(400);
    expect(errorCode(broken)).toBe('BAD_REQUEST');
    const unknown = await post(file('Z-x'), { 'content-type': 'text/csv', 'content-encoding': 'compress' });
    expect(unknown.statusCode).toBe(415);
    const latin1 = Buffer.concat([
      Buffer.from(`${HEADER}E-9,Caf`),
      Buffer.from([0xe9]),
      Buffer.from(',Pro\n'),
    ]);
    const charset = await post(latin1, { 'content-type': 'text/csv; charset=windows-1252' });
    expect(charset.statusCode).toBe(200);
    expect(await accountNames(w)).toContain('Café');
  });

  it('refuses a header of more than 1,000 columns, and names UTF-16 for NULs only when it was not used', async () => {
    const w = await apiWorld(current());
    const wide = ['external_id', 'name', ...Array.from({ length: 1200 }, (_, i) => `c${i}`)].join(',');
    const refused = await w.as('ingest', {
      method: 'POST',
      url: '/api/v1/imports/accounts',
      headers: { 'content-type': 'text/csv' },
      payload: `${wide}\nW-1,Wide\n`,
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json<{ error: { message: string } }>().error.message).toContain('1,202 columns');
    const utf16 = await w.as('ingest', {
      method: 'POST',
      url: '/api/v1/imports/accounts?encoding=utf-16le',
      headers: { 'content-type': 'text/csv' },
      payload: Buffer.from(`${HEADER}N-1,Nul\u0000,Pro\n`, 'utf16le'),
    });
    expect(errorCode(utf16)).toBe('IMPORT_NUL');
    expect(utf16.json<{ error: { message: string } }>().error.message).not.toContain('encoding=utf-16le');
  });

  it('lets other writes (a login) through while a client is still sending its upload', async () => {
    const t = current();
    const w = await apiWorld(t);
    // An ingest client sends the header and a few rows, then goes quiet with the upload open.
    const upload = new PassThrough();
    const importing = w.as('ingest', {
      method: 'POST',
      url: '/api/v1/imports/accounts',
      headers: { 'content-type': 'text/csv' },
      payload: upload,
    });
    upload.write(HEADER);
    for (let i = 0; i < 500; i += 1) upload.write(`SLOW-${i},Slow ${i},Pro\n`);
    // A CSM logs in meanwhile (a write: the session). It must not wait for the upload to end.
    const login = w.login(w.book.users.csmA.email).then(({ response }) => response.statusCode);
    const first = await Promise.race([
      login.then((status) => `login ${status}`),
      importing.then(() => 'upload'),
      new Promise((resolve) => setTimeout(resolve, 20_000, 'stuck')).then(() => 'stuck'),
    ]);
    upload.end();
    const answered = await importing;
    expect(first).toBe('login 200');
    expect(answered.statusCode).toBe(200);
    expect(answered.json()).toMatchObject({ rows: 500, created: 500 });
  });

  it('answers reads while an import holds its transaction open, and they see only what was committed', async () => {
    const t = current();
    const w = await apiWorld(t);
    const before = (await accountNames(w)).length;
    const input = new PassThrough();
    let firstBatch!: () => void;
    const written = new Promise<void>((resolve) => (firstBatch = resolve));
    const importing = t.services.imports.importAccounts(SYSTEM_ACTOR, input, {
      onProgress: () => firstBatch(),
    });
    input.write(HEADER);
    for (let i = 0; i < 1500; i += 1) input.write(`S-${i},Streamed ${i},Pro\n`);
    await written;
    // The import has written its first batch and waits for the rest of the file.
    const during = await w.as('viewer', { method: 'GET', url: '/api/v1/accounts?limit=5' });
    expect(during.statusCode).toBe(200);
    expect((await accountNames(w)).length).toBe(before);
    input.end();
    const report = await importing;
    expect(report).toMatchObject({ rows: 1500, created: 1500 });
    const after = await w.as('viewer', { method: 'GET', url: '/api/v1/accounts?q=Streamed&limit=1' });
    expect(after.json<{ total: number }>().total).toBe(1500);
  });
});

it('finds where UTF-8 goes wrong even when a character is split across chunks', async () => {
  expect(firstInvalidUtf8(Buffer.from('Café', 'utf8'))).toBe(-1);
  expect(firstInvalidUtf8(Buffer.from([0x41, 0xc3]))).toBe(-1);
  expect(firstInvalidUtf8(Buffer.from([0x41, 0xe9, 0x42]))).toBe(1);
  expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0);
  const euro = Buffer.from('€', 'utf8');
  expect(
    await decodeAll([Buffer.from('a,b\nx,'), euro.subarray(0, 1), euro.subarray(1), Buffer.from('\n')]),
  ).toBe('a,b\nx,€\n');
  const error = await decodeAll([
    Buffer.from('a,b\nxy,'),
    euro.subarray(0, 2),
    Buffer.from([0x41, 0x0a]),
  ]).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toMatchObject({ code: 'IMPORT_ENCODING', details: { line: 2, column: 4 } });
  expect(await decodeAll([Buffer.from([0x43, 0x61, 0x66, 0xe9])], 'windows-1252')).toBe('Café');
});

it('refuses an upload that failed or ended early before it was received, instead of waiting for it', async () => {
  const failed = new PassThrough();
  failed.on('error', () => undefined);
  failed.destroy(new Error('not valid gzip'));
  await expect(spooled(failed, 1024, () => Promise.resolve('read'))).rejects.toThrow('not valid gzip');
  const cut = new PassThrough();
  cut.write('external_id,name\n');
  cut.destroy();
  await expect(spooled(cut, 1024, () => Promise.resolve('read'))).rejects.toMatchObject({
    code: 'UPLOAD_INCOMPLETE',
  });
  const whole = Readable.from([Buffer.from('external_id,name\nA,B\n')]);
  expect(await spooled(whole, 1024, async (file) => (await file.toArray()).join(''))).toBe(
    'external_id,name\nA,B\n',
  );
});
