// The web app's weight: JavaScript and CSS a browser downloads before the first screen (the entry
// chunk and everything it imports statically), gzip-compressed as the server sends it, and what each
// screen adds when first opened, against the 250 kB budget (every screen must fit). Builds the app.
//   npm run bench:web
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const DIST = 'dist/web';
const BUDGET_KB = 250;

interface Chunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
  src?: string;
}

execSync('npm run build:web', { stdio: 'ignore' });
const manifest = JSON.parse(readFileSync(join(DIST, '.vite/manifest.json'), 'utf8')) as Record<string, Chunk>;
const gzipKb = (file: string) => gzipSync(readFileSync(join(DIST, file)), { level: 9 }).length / 1024;
const rawKb = (file: string) => readFileSync(join(DIST, file)).length / 1024;

/** A chunk with everything it imports statically, each file once. */
function closure(key: string, seen = new Set<string>()): Set<string> {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const next of manifest[key]?.imports ?? []) closure(next, seen);
  return seen;
}
const filesOf = (keys: Iterable<string>, kind: 'js' | 'css') =>
  [...keys].flatMap((key) => (kind === 'js' ? [manifest[key]!.file] : (manifest[key]?.css ?? [])));

const entry = Object.keys(manifest).find((key) => manifest[key]?.isEntry);
if (!entry) throw new Error('no entry chunk in the manifest');
const first = closure(entry);
const sum = (files: string[], size: (file: string) => number) =>
  files.reduce((total, file) => total + size(file), 0);
const firstJs = filesOf(first, 'js');
const firstCss = [...new Set(filesOf(first, 'css'))];
const jsGzip = sum(firstJs, gzipKb);

console.log(`First load (before any screen): ${firstJs.length} JS file(s), ${firstCss.length} CSS file(s)`);
console.log(`  JavaScript  ${sum(firstJs, rawKb).toFixed(1)} kB raw, ${jsGzip.toFixed(1)} kB gzip`);
console.log(
  `  CSS         ${sum(firstCss, rawKb).toFixed(1)} kB raw, ${sum(firstCss, gzipKb).toFixed(1)} kB gzip`,
);
console.log('Each screen, when first opened (JS it adds beyond the first load, gzip):');
const screens = Object.entries(manifest).filter(([key]) => key.startsWith('src/pages/'));
let worst = 0;
for (const [key] of screens) {
  const added = [...closure(key)].filter((one) => !first.has(one));
  const kb = sum(filesOf(added, 'js'), gzipKb);
  worst = Math.max(worst, kb);
  console.log(`  ${key.replace('src/pages/', '').replace('.tsx', '').padEnd(12)} +${kb.toFixed(1)} kB`);
}
// What a CSM's browser fetches to show the worklist, the screen after login.
const landing = new Set([...first, ...closure('src/pages/worklist.tsx')]);
const landingJs = sum(filesOf(landing, 'js'), gzipKb);
console.log(
  `Worklist on first visit (first load + its screen): ${landingJs.toFixed(1)} kB gzip of JavaScript`,
);
console.log(`Heaviest screen on first visit: ${(jsGzip + worst).toFixed(1)} kB gzip of JavaScript`);
console.log(
  `Ratio worklist first-visit JavaScript / ${BUDGET_KB} kB budget: ${(landingJs / BUDGET_KB).toFixed(2)}`,
);
if (jsGzip + worst > BUDGET_KB) {
  console.error(`Over budget: a screen needs ${(jsGzip + worst).toFixed(1)} kB gzip > ${BUDGET_KB} kB`);
  process.exit(1);
}
