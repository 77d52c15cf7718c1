// Files sent the way browsers and curl send them: multipart/form-data. The imports take the first
// file of the form (options stay in the query), and the RFC 8058 one-click unsubscribe takes the
// form mail clients post. Driven by Node's fetch and FormData (the browser's classes) and by curl
// against a listening server.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { apiWorld, type ApiWorld } from './helpers';
import { forEachStore } from '../helpers/stores';

const run = promisify(execFile);
const CSV = 'external_id,name,tier\nM-1,Multipart One,Pro\nM-2,Multipart Two,Starter\n';

let servers: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function listening(app: FastifyInstance): Promise<string> {
  servers.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

function form(...files: { name: string; body: string | Uint8Array }[]): FormData {
  const data = new FormData();
  data.append('note', 'from the import page');
  for (const file of files) {
    data.append('file', new Blob([file.body], { type: 'text/csv' }), file.name);
  }
  return data;
}

async function post(base: string, w: ApiWorld, path: string, body: FormData) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${w.tokens.admin}` },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function names(w: ApiWorld): Promise<string[]> {
  const response = await w.as('admin', { method: 'GET', url: '/api/v1/accounts?limit=200' });
  return response.json<{ items: { name: string }[] }>().items.map((account) => account.name);
}

forEachStore('multipart uploads', (current) => {
  it('imports the file of a form posted by fetch, dry run first, with the options in the query', async () => {
    const w = await apiWorld(current());
    const base = await listening(w.app);
    const dry = await post(
      base,
      w,
      '/api/v1/imports/accounts?dryRun=true',
      form({ name: 'accounts.csv', body: CSV }),
    );
    expect(dry).toMatchObject({ status: 200, body: { dryRun: true, created: 2 } });
    expect(await names(w)).not.toContain('Multipart One');

    const done = await post(base, w, '/api/v1/imports/accounts', form({ name: 'accounts.csv', body: CSV }));
    expect(done).toMatchObject({ status: 200, body: { created: 2 } });
    expect(await names(w)).toEqual(expect.arrayContaining(['Multipart One', 'Multipart Two']));
  });

  it('reads a file in the encoding the query names, and refuses a form with no file or two', async () => {
    const w = await apiWorld(current());
    const base = await listening(w.app);
    const latin1 = Buffer.from('external_id,name\nM-3,Caf\xe9 Noir\n', 'latin1');
    const read = await post(
      base,
      w,
      '/api/v1/imports/accounts?encoding=windows-1252',
      form({ name: 'latin1.csv', body: latin1 }),
    );
    expect(read).toMatchObject({ status: 200, body: { created: 1 } });
    expect(await names(w)).toContain('Café Noir');

    const none = new FormData();
    none.append('note', 'no file here');
    const empty = await post(base, w, '/api/v1/imports/accounts', none);
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ error: { code: 'UPLOAD_NO_FILE' } });

    const two = await post(
      base,
      w,
      '/api/v1/imports/accounts',
      form({ name: 'a.csv', body: CSV }, { name: 'b.csv', body: CSV }),
    );
    expect(two.status).toBe(400);
    expect(two.body).toMatchObject({ error: { code: 'UPLOAD_MANY_FILES' } });
    expect(await names(w)).not.toContain('Multipart One');
  });

  it('refuses a file over the limit inside a form, with nothing imported', async () => {
    const w = await apiWorld(current());
    const app = await buildApp(current().services, { importLimit: 1024 });
    const base = await listening(app);
    const big = `external_id,name\n${Array.from({ length: 200 }, (_, i) => `B-${i},Big ${i}`).join('\n')}\n`;
    const refused = await post(base, w, '/api/v1/imports/accounts', form({ name: 'big.csv', body: big }));
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(await names(w)).not.toContain('Big 0');
  });

  it('imports with curl -F, as the README shows', async () => {
    const w = await apiWorld(current());
    const base = await listening(w.app);
    const dir = await mkdtemp(join(tmpdir(), 'retain-curl-'));
    try {
      const file = join(dir, 'accounts.csv');
      await writeFile(file, CSV);
      const { stdout } = await run('curl', [
        '-sS',
        '-H',
        `Authorization: Bearer ${w.tokens.admin}`,
        '-F',
        `file=@${file};type=text/csv`,
        `${base}/api/v1/imports/accounts`,
      ]);
      expect(JSON.parse(stdout)).toMatchObject({ created: 2 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('unsubscribes with the one-click form a mail client posts as multipart/form-data (RFC 8058)', async () => {
    const w = await apiWorld(current());
    const base = await listening(w.app);
    const token = await current().services.emailPreferences.token('Reader@Example.com');
    const oneClick = new FormData();
    oneClick.append('List-Unsubscribe', 'One-Click');
    const response = await fetch(`${base}/email/unsubscribe?token=${encodeURIComponent(token)}`, {
      method: 'POST',
      body: oneClick,
    });
    const page = await response.text();
    expect(response.status, page).toBe(200);
    expect(page).toContain('You are unsubscribed');
    expect(await current().services.emailPreferences.list()).toEqual([
      expect.objectContaining({ email: 'reader@example.com', source: 'one_click' }),
    ]);

    const withFile = new FormData();
    withFile.append('List-Unsubscribe', 'One-Click');
    withFile.append('file', new Blob(['x']), 'x.txt');
    const refused = await fetch(`${base}/email/unsubscribe?token=${encodeURIComponent(token)}`, {
      method: 'POST',
      body: withFile,
    });
    expect(refused.status).toBe(400);
  });

  it('answers a broken or hostile form with a 4xx and imports nothing', async () => {
    const w = await apiWorld(current());
    const part = (name: string, body: string, file = true) =>
      `--b\r\nContent-Disposition: form-data; name="${name}"${file ? '; filename="a.csv"' : ''}\r\n\r\n${body}\r\n`;
    const hostile: { type: string; payload: string }[] = [
      { type: 'multipart/form-data', payload: part('file', CSV) + '--b--\r\n' },
      { type: 'multipart/form-data; boundary=b', payload: part('file', CSV) },
      { type: 'multipart/form-data; boundary=b', payload: '--b\r\nContent-Disposition: form-data\r\n\r\nx' },
      { type: 'multipart/form-data; boundary=zz', payload: part('file', CSV) + '--b--\r\n' },
      {
        type: 'multipart/form-data; boundary=b',
        payload: part('__proto__', '{"polluted":1}', false) + part('constructor', 'x') + '--b--\r\n',
      },
      { type: 'multipart/form-data; boundary=b', payload: part('f', 'x', false).repeat(200) + '--b--\r\n' },
    ];
    const token = await current().services.emailPreferences.token('reader@example.com');
    for (const url of ['/api/v1/imports/accounts', `/email/unsubscribe?token=${token}`]) {
      for (const { type, payload } of hostile) {
        const response = await w.as('admin', {
          method: 'POST',
          url,
          headers: { 'content-type': type },
          payload,
        });
        expect(response.statusCode, `${url} ${type}: ${payload.slice(0, 80)}`).toBeGreaterThanOrEqual(400);
        expect(response.statusCode, `${url} ${type}: ${response.body}`).toBeLessThan(500);
      }
    }
    expect(await current().services.emailPreferences.list()).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await names(w)).not.toContain('Multipart One');
  });
});
