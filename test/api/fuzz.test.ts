// Garbage in, a clear error out: every operation in the OpenAPI document gets random JSON bodies and
// random query strings, and must never answer 500 or an error without a stable code.
// Fixed seed in CI; API_FUZZ_RUNS=200 for a longer run.
import fc from 'fast-check';
import { afterEach, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { forEachStore } from '../helpers/stores';
import { apiWorld } from './helpers';

const RUNS = Number(process.env.API_FUZZ_RUNS ?? 12);
const SEED = 20261129;

let app: FastifyInstance | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

forEachStore('API under random input', (current) => {
  it('answers every operation with a success or a coded error, never a 500', async () => {
    const w = await apiWorld(current());
    app = w.app;
    const docs = (await w.app.inject({ method: 'GET', url: '/api/docs' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const fill = (path: string) =>
      path
        .replace('{id}', '1')
        .replace('{key}', 'at_risk')
        .replace('{externalId}', 'A-1')
        .replace('{kind}', 'accounts')
        .replace('{name}', 'Legacy');
    const operations = Object.entries(docs.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .map((method) => ({ method: method.toUpperCase(), url: fill(path) }))
        // Erasing account 1 would only make the rest of the run test "not found".
        .filter((op) => !op.url.endsWith('/erase')),
    );
    expect(operations.length).toBeGreaterThan(60);
    const query = fc.dictionary(
      fc.constantFrom(
        'limit',
        'offset',
        'from',
        'to',
        'teamId',
        'month',
        'label',
        'q',
        'since',
        'format',
        'status',
        'sort',
        'kind',
        'savedMapping',
      ),
      fc.string({ maxLength: 12 }),
      { maxKeys: 3 },
    );
    const failures: string[] = [];
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), query, async (body, params) => {
          // The event stream stays open unless told not to follow.
          const search = new URLSearchParams({
            ...params,
            ...(op.url === '/api/v1/events' && { follow: 'false' }),
          }).toString();
          const response = await w.as('admin', {
            method: op.method,
            url: search ? `${op.url}?${search}` : op.url,
            ...(op.method === 'GET' || op.method === 'DELETE'
              ? {}
              : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
          });
          if (response.statusCode >= 500)
            failures.push(
              `${op.method} ${op.url}?${search} ${JSON.stringify(body).slice(0, 200)} -> ${response.statusCode} ${response.body.slice(0, 200)}`,
            );
          else if (response.statusCode >= 400) {
            const code = response.json<{ error?: { code?: unknown } }>().error?.code;
            if (typeof code !== 'string')
              failures.push(
                `${op.method} ${op.url} -> ${response.statusCode} without a code: ${response.body.slice(0, 200)}`,
              );
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }
    expect(failures).toEqual([]);
  });
});
