// `retain openapi`: the API's OpenAPI document, for client generators (openapi-typescript,
// openapi-generator) and linters, without starting a server or touching a store.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { buildApp } from '../../api/app';
import { createServices } from '../../services';
import { openStore } from '../../store/db';

export async function openapiDocument(): Promise<unknown> {
  const store = await openStore(':memory:');
  try {
    const app = await buildApp(createServices(store), { webRoot: false });
    await app.ready();
    const document = app.swagger();
    await app.close();
    return document;
  } finally {
    await store.close();
  }
}

export function openapiCommand(program: Command): void {
  program
    .command('openapi')
    .description('print the OpenAPI document of the HTTP API (JSON)')
    .option('--out <file>', 'write it to a file instead')
    .action(async (options: { out?: string }) => {
      const text = `${JSON.stringify(await openapiDocument(), null, 2)}\n`;
      if (options.out) {
        mkdirSync(dirname(options.out), { recursive: true });
        writeFileSync(options.out, text);
      } else process.stdout.write(text);
    });
}
