// The server serves the built web app: its files (pre-compressed when the browser takes gzip, cached
// for good when hashed), index.html for the app's own page addresses, and API errors stay JSON.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import { createServices } from '../../src/services';
import { forEachStore } from '../helpers/stores';

let app: FastifyInstance | null = null;
let root: string | null = null;
afterEach(async () => {
  await app?.close();
  if (root) rmSync(root, { recursive: true, force: true });
  app = null;
  root = null;
});

function builtApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'retain-web-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><div id="root"></div><script type="module" src="/assets/app-1a2b.js"></script>',
  );
  const script = 'console.log("retain");'.repeat(50);
  writeFileSync(join(dir, 'assets/app-1a2b.js'), script);
  writeFileSync(join(dir, 'assets/app-1a2b.js.gz'), gzipSync(script));
  return dir;
}

forEachStore('web app', (current) => {
  it('serves the app, its page addresses and its assets under the strict policy', async () => {
    root = builtApp();
    app = await buildApp(current().services, { webRoot: root });
    const home = await app.inject({ method: 'GET', url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.headers['content-type']).toContain('text/html');
    expect(home.headers['content-security-policy']).toContain("script-src 'self'");
    expect(home.headers['content-security-policy']).not.toContain('unsafe-inline');

    // A link into the app (a reload on an account page) gets the app, not a 404.
    const page = await app.inject({ method: 'GET', url: '/accounts/42?tab=health' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<div id="root">');

    const asset = await app.inject({
      method: 'GET',
      url: '/assets/app-1a2b.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-encoding']).toBe('gzip');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');

    const missing = await app.inject({ method: 'GET', url: '/assets/gone-9z.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    // The API keeps its own answers: no page for an address under /api/.
    const api = await app.inject({ method: 'GET', url: '/api/v1/risk-cases' });
    expect(api.statusCode).toBe(401);
    expect(api.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    const write = await app.inject({ method: 'POST', url: '/anything' });
    expect(write.statusCode).toBe(404);
  });

  it('serves the API alone when there is no built app', async () => {
    app = await buildApp(createServices(current().store, current().clock), { webRoot: false });
    const home = await app.inject({ method: 'GET', url: '/' });
    expect(home.statusCode).toBe(404);
    expect(home.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
