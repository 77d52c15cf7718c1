// Signal-to-case latency: on a large book (100k accounts, 90 days of rollups by default), each
// sample sends one invoice signal 60 days past due for a different account through the ingest
// service and measures until the call returns, by which time the account is re-scored, the rules
// are evaluated and the risk case is open. The baseline is a bare insert of the same signal row.
//
//   npm run bench:detect
//   npm run bench:detect -- --samples 500 --pg postgres://postgres@127.0.0.1:5432/postgres
import { SYSTEM_ACTOR } from '../src/domain/policy';
import { BENCH_NOW, benchBookFromArgs, percentile } from './lib/book';

const { book, options } = await benchBookFromArgs({ samples: { default: '300' } });
try {
  const samples = Number(options.samples);
  const step = Math.max(1, Math.floor(book.accounts / samples));
  const account = (i: number) => `ACC-${String(1 + ((i * step) % book.accounts)).padStart(7, '0')}`;
  const invoice = (i: number, prefix: string) => ({
    kind: 'invoice',
    account: account(i),
    occurredAt: BENCH_NOW,
    idempotencyKey: `${prefix}-${i}`,
    data: { invoiceId: `${prefix}-${i}`, amount: 5_000, dueDate: '2026-01-30' },
  });

  // Baseline: the bare write of one signal row, no rollups, scoring or detection.
  const bare: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const t0 = performance.now();
    await book.store.db
      .insertInto('signals')
      .values({
        account_id: 1 + ((i * step) % book.accounts),
        kind: 'invoice',
        occurred_at: BENCH_NOW,
        received_at: BENCH_NOW,
        idempotency_key: `bare-${i}`,
        value: 5_000,
        data: JSON.stringify(invoice(i, 'bare').data),
        source: 'bench',
      })
      .execute();
    bare.push(performance.now() - t0);
  }

  const latencies: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const t0 = performance.now();
    await book.services.signals.ingest(SYSTEM_ACTOR, [invoice(i, 'inv')]);
    latencies.push(performance.now() - t0);
  }
  const opened = await book.services.riskCases.worklist({ reason: 'poor_financial_standing', limit: 1 });
  if (opened.total < samples) throw new Error(`only ${opened.total} of ${samples} signals opened a case`);

  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const p50 = percentile(latencies, 50);
  const bareP50 = percentile(bare, 50);
  console.log(`  ${samples} signals, each for a different account; every one opened a case before returning`);
  console.log(
    `  bare signal insert          p50 ${ms(bareP50).padStart(9)}  p99 ${ms(percentile(bare, 99)).padStart(9)}`,
  );
  console.log(
    `  signal -> scored -> case    p50 ${ms(p50).padStart(9)}  p99 ${ms(percentile(latencies, 99)).padStart(9)}`,
  );
  console.log(`  ratio p50 signal-to-case / bare insert: ${(p50 / bareP50).toFixed(1)}x`);
} finally {
  await book.close();
}
