// The OpenAPI document tells a client what each operation answers on success, not only its errors:
// a generated client (openapi-typescript) types `data` from it, and an answer without a schema
// types it as nothing at all.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openapiDocument } from '../../src/cli/commands/openapi';

// The parts of the document these checks read.
const json = z.record(z.string(), z.unknown());
const documentSchema = z.object({
  paths: z.record(
    z.string(),
    z.record(
      z.string(),
      z.looseObject({
        operationId: z.string().optional(),
        responses: z
          .record(
            z.string(),
            z.looseObject({
              description: z.string().optional(),
              content: z.record(z.string(), z.looseObject({ schema: json.optional() })).optional(),
            }),
          )
          .optional(),
      }),
    ),
  ),
  components: z.looseObject({ schemas: json }),
});
type Document = z.infer<typeof documentSchema>;
type Operation = Document['paths'][string][string];

const documented = async () => documentSchema.parse(await openapiDocument());

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch']);

function operations(document: Document) {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, method, path, operation })),
  );
}

/** What is wrong with an operation's success answers, in words; nothing when they are documented. */
function problems(method: string, operation: Operation, schemas: Record<string, unknown>): string[] {
  const found: string[] = [];
  const successes = Object.entries(operation.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
  if (successes.length === 0) return ['no 2xx answer'];
  for (const [status, answer] of successes) {
    if (answer.description === undefined || answer.description === 'Default Response')
      found.push(`${status} has no description of its own`);
    if (status === '204') {
      if (answer.content !== undefined) found.push('204 has a body');
      continue;
    }
    const media = Object.entries(answer.content ?? {});
    if (media.length === 0) found.push(`${status} has no content`);
    for (const [type, { schema }] of media) {
      if (!schema || Object.keys(schema).length === 0) {
        found.push(`${status} ${type} has no schema`);
        continue;
      }
      const ref = schema.$ref;
      if (typeof ref === 'string' && !(ref.replace('#/components/schemas/', '') in schemas))
        found.push(`${status} ${type} refers to a missing ${ref}`);
      if (type === 'application/json' && schema.type === 'string' && schema.$ref === undefined)
        found.push(`${status} ${type} is a bare string`);
    }
  }
  if (method === 'delete' && !successes.some(([status]) => status === '204'))
    found.push('a delete that does not answer 204');
  return found;
}

describe('the OpenAPI document', () => {
  it('gives every operation a success answer with a schema', async () => {
    const document = await documented();
    const all = operations(document);
    const checked = all;
    expect(checked.length).toBeGreaterThan(100);
    const failures = checked.flatMap(({ name, method, operation }) =>
      problems(method, operation, document.components.schemas).map((problem) => `${name}: ${problem}`),
    );
    expect(failures).toEqual([]);
  });

  it('states the status each kind of write answers with', async () => {
    const document = await documented();
    const statuses: Record<string, string[]> = {};
    for (const { name, operation } of operations(document))
      statuses[operation.operationId ?? name] = Object.keys(operation.responses ?? {}).filter((status) =>
        status.startsWith('2'),
      );
    expect(statuses).toMatchObject({
      createAccount: ['201'],
      createContact: ['201'],
      openRiskCase: ['201'],
      addRiskCaseUpdate: ['201'],
      createApiToken: ['201'],
      deleteAccount: ['204'],
      revokeApiToken: ['204'],
      // Saving a segment or a play answers 200 with what was saved.
      createSegment: ['201'],
      createPlay: ['201'],
      updateAccount: ['200'],
    });
  });

  it('documents the answers that are not JSON by their media type', async () => {
    const document = await documented();
    const monthly = document.paths['/api/v1/reports/monthly']?.get?.responses?.['200']?.content ?? {};
    expect(Object.keys(monthly).sort()).toEqual([
      'application/json',
      'text/csv',
      'text/html',
      'text/markdown',
    ]);
    expect(monthly['text/markdown']?.schema).toMatchObject({ type: 'string' });
    expect(monthly['application/json']?.schema).toEqual({ $ref: '#/components/schemas/MonthlyRiskReport' });
    const events = document.paths['/api/v1/events']?.get?.responses?.['200']?.content ?? {};
    expect(Object.keys(events)).toEqual(['text/event-stream']);
  });
});
