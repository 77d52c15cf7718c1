#!/usr/bin/env node
// Entry point of the `retain` command. It runs the CLI bundled into one file (`npm run build:cli`,
// made by `npm install`), which starts in a fraction of the time; when any source file is newer
// than the bundle (a change not yet built), it runs the TypeScript sources through tsx instead.
import { readdirSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const bundle = new URL('dist/cli/retain.mjs', root);

/** The newest modification time of any file under `dir`. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    latest = Math.max(latest, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs);
  }
  return latest;
}

function builtAt() {
  try {
    return statSync(bundle).mtimeMs;
  } catch {
    return 0;
  }
}

const built = builtAt();
if (built > 0 && built >= newest(new URL('src', root))) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/index.ts');
}
