// Before any test file runs: the CLI bundle the `retain` command runs (bin/retain.js), built from
// the sources as they are now, so CLI tests run what `npm install` gives users; and the migrated
// template stores each store test starts from a copy of (test/helpers/stores.ts).
import { execFileSync } from 'node:child_process';
import { pgTemplateName, prepareTemplates, STORES } from './helpers/stores';

export default async function setup(): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build:cli'], { stdio: 'inherit' });
  await prepareTemplates();
  // The test processes start after this and inherit it: they copy the template only when it is ready.
  if (STORES.includes('postgres')) process.env.RETAIN_TEST_PG_TEMPLATE = pgTemplateName();
}
