// CI's test count: what the Vitest and Playwright JSON reports say ran, passed and failed.
import { describe, expect, it } from 'vitest';
import { countE2e, countVitest, summaryLine } from '../../.ci/test-summary';

const vitestFile = (name: string, status: string, tests: string[], message = '') => ({
  name,
  status,
  message,
  startTime: 0,
  endTime: 1,
  assertionResults: tests.map((testStatus, index) => ({
    ancestorTitles: [],
    fullName: `test ${index}`,
    title: `test ${index}`,
    status: testStatus,
    failureMessages: [],
  })),
});

describe('Vitest report', () => {
  it('counts passed, failed and skipped tests', () => {
    const counts = countVitest({
      numPassedTests: 3,
      numFailedTests: 1,
      numPendingTests: 1,
      numTodoTests: 1,
      success: false,
      testResults: [
        vitestFile('/repo/test/a.test.ts', 'passed', ['passed', 'passed', 'skipped']),
        vitestFile('/repo/test/b.test.ts', 'failed', ['passed', 'failed', 'todo']),
      ],
    });
    expect(counts).toMatchObject({ passed: 3, failed: 1, skipped: 2 });
    expect(counts.problems).toEqual(['failed: /repo/test/b.test.ts > test 1']);
  });

  it('counts a file that failed before its tests ran as a failure', () => {
    const counts = countVitest({
      numPassedTests: 0,
      numFailedTests: 0,
      numPendingTests: 0,
      numTodoTests: 0,
      testResults: [vitestFile('/repo/test/c.test.ts', 'failed', [], 'Cannot find module x')],
    });
    expect(counts).toMatchObject({ passed: 0, failed: 1, skipped: 0 });
    expect(counts.problems[0]).toContain('Cannot find module x');
  });

  it('refuses a report of another shape', () => {
    expect(() => countVitest({ stats: {} })).toThrow();
  });
});

describe('Playwright report', () => {
  const spec = (title: string, ...statuses: string[]) => ({
    title,
    ok: true,
    tests: statuses.map((status) => ({ status, results: [] })),
  });

  it('walks nested suites and counts each outcome', () => {
    const counts = countE2e({
      suites: [
        {
          title: 'screens.spec.ts',
          specs: [spec('worklist', 'expected'), spec('huddle', 'unexpected')],
          suites: [{ title: 'nested', specs: [spec('skipped one', 'skipped'), spec('retried', 'flaky')] }],
        },
        { title: 'session.spec.ts', specs: [spec('logs in', 'expected')] },
      ],
      errors: [],
      stats: { expected: 2, unexpected: 1, flaky: 1, skipped: 1 },
    });
    expect(counts).toMatchObject({ passed: 2, failed: 2, skipped: 1 });
    expect(counts.problems).toEqual([
      'failed: screens.spec.ts > huddle',
      'flaky: screens.spec.ts > nested > retried',
    ]);
  });

  it('counts an error outside any test (a server that did not start) as a failure', () => {
    const counts = countE2e({
      suites: [],
      errors: [{ message: 'Error: Process from config.webServer exited early.\nmore' }],
    });
    expect(counts).toMatchObject({ passed: 0, failed: 1 });
    expect(counts.problems).toEqual([
      'error outside any test: Error: Process from config.webServer exited early.',
    ]);
  });
});

describe('summary line', () => {
  it('names skipped tests only when there were some', () => {
    expect(summaryLine({ passed: 5, failed: 0, skipped: 0 })).toBe('tests: 5 passed, 0 failed');
    expect(summaryLine({ passed: 5, failed: 1, skipped: 2 })).toBe('tests: 5 passed, 1 failed, 2 skipped');
  });
});
