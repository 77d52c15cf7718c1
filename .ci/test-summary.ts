// Adds up what the test run executed, from the JSON reports `npm test` writes: Vitest's
// (test-results/vitest.json) and Playwright's (test-results/e2e.json). Prints one line per suite,
// then `tests: N passed, N failed` last, the only line in that form (`, N skipped` follows when something was skipped). Exits
// non-zero when a report is missing, when no test ran, or when anything failed. A test file that
// failed before its tests could run (an import error, a failing hook, a server that did not start)
// counts as one failed test.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

export const VITEST_REPORT = 'test-results/vitest.json';
export const E2E_REPORT = 'test-results/e2e.json';

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  /** What failed, one line each. */
  problems: string[];
}

const vitestReport = z.object({
  numPassedTests: z.number().int().nonnegative(),
  numFailedTests: z.number().int().nonnegative(),
  numPendingTests: z.number().int().nonnegative(),
  numTodoTests: z.number().int().nonnegative(),
  testResults: z.array(
    z.object({
      name: z.string(),
      status: z.string(),
      message: z.string(),
      assertionResults: z.array(z.object({ fullName: z.string(), status: z.string() })),
    }),
  ),
});

export function countVitest(json: unknown): Counts {
  const report = vitestReport.parse(json);
  const problems: string[] = [];
  let brokenFiles = 0;
  for (const file of report.testResults) {
    const failed = file.assertionResults.filter((test) => test.status === 'failed');
    for (const test of failed) problems.push(`failed: ${file.name} > ${test.fullName}`);
    if (file.status === 'failed' && failed.length === 0) {
      brokenFiles += 1;
      problems.push(`failed before its tests ran: ${file.name}: ${file.message}`);
    }
  }
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + brokenFiles,
    skipped: report.numPendingTests + report.numTodoTests,
    problems,
  };
}

interface E2eSuite {
  title: string;
  specs: { title: string; tests: { status: string }[] }[];
  suites?: E2eSuite[] | undefined;
}

const e2eSuite: z.ZodType<E2eSuite> = z.lazy(() =>
  z.object({
    title: z.string(),
    specs: z.array(
      z.object({
        title: z.string(),
        tests: z.array(z.object({ status: z.enum(['expected', 'unexpected', 'flaky', 'skipped']) })),
      }),
    ),
    suites: z.array(e2eSuite).optional(),
  }),
);

const e2eReport = z.object({
  suites: z.array(e2eSuite),
  errors: z.array(z.object({ message: z.string().optional() })),
});

/** Playwright: a test passes when its outcome was the expected one on the first try (retries are off). */
export function countE2e(json: unknown): Counts {
  const report = e2eReport.parse(json);
  const counts: Counts = { passed: 0, failed: 0, skipped: 0, problems: [] };
  const walk = (suite: E2eSuite, path: string[]) => {
    for (const spec of suite.specs)
      for (const test of spec.tests) {
        if (test.status === 'expected') counts.passed += 1;
        else if (test.status === 'skipped') counts.skipped += 1;
        else {
          counts.failed += 1;
          counts.problems.push(
            `${test.status === 'flaky' ? 'flaky' : 'failed'}: ${[...path, spec.title].join(' > ')}`,
          );
        }
      }
    for (const child of suite.suites ?? []) walk(child, [...path, child.title]);
  };
  for (const suite of report.suites) walk(suite, [suite.title]);
  for (const error of report.errors) {
    counts.failed += 1;
    counts.problems.push(`error outside any test: ${(error.message ?? 'no message').split('\n')[0]}`);
  }
  return counts;
}

export function summaryLine(counts: Pick<Counts, 'passed' | 'failed' | 'skipped'>): string {
  const line = `tests: ${counts.passed} passed, ${counts.failed} failed`;
  return counts.skipped > 0 ? `${line}, ${counts.skipped} skipped` : line;
}

function readReport(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function main(): number {
  const total: Counts = { passed: 0, failed: 0, skipped: 0, problems: [] };
  let missing = false;
  for (const [name, path, count] of [
    ['vitest', VITEST_REPORT, countVitest],
    ['e2e', E2E_REPORT, countE2e],
  ] as const) {
    let json: unknown;
    try {
      json = readReport(path);
    } catch (error) {
      console.log(`${name}: unreadable report ${path}: ${(error as Error).message}`);
      missing = true;
      continue;
    }
    if (json === undefined) {
      console.log(`${name}: no report at ${path} (did not run)`);
      missing = true;
      continue;
    }
    let counts: Counts;
    try {
      counts = count(json);
    } catch (error) {
      console.log(`${name}: report ${path} is not a ${name} JSON report: ${(error as Error).message}`);
      missing = true;
      continue;
    }
    for (const problem of counts.problems) console.log(`${name}: ${problem}`);
    // Per suite in words of its own: the closing line below is the only one in the counted form.
    console.log(`${name}: ${counts.passed + counts.failed} run, ${counts.failed} of them failing`);
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  }
  console.log(summaryLine(total));
  return missing || total.failed > 0 || total.passed + total.failed === 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
