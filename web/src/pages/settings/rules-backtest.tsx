// "What if?" for the detection rules: the draft is replayed over the stored history beside the live
// rules (POST /detection/backtest, nothing written), before anyone saves it. Shows the headline
// figures side by side, the per-rule table of the draft, and the accounts it would flag differently.
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/client';
import type { BacktestRun, DetectionBacktest, DetectionRule } from '../../api/types';
import { ActionError } from '../../components/states';

const DAY = 86_400_000;
const dayText = (at: number) => new Date(at).toISOString().slice(0, 10);

const share = (value: number | null) => (value === null ? '–' : `${Math.round(value * 100)}%`);

const HEADLINES: { label: string; value: (run: BacktestRun) => string }[] = [
  { label: 'Precision: flagged accounts that left', value: (run) => share(run.figures.precision) },
  { label: 'Recall: churners flagged 30+ days ahead', value: (run) => share(run.figures.recall[30]) },
  { label: 'Recall, 60+ days ahead', value: (run) => share(run.figures.recall[60]) },
  {
    label: 'Median lead time',
    value: (run) => (run.figures.medianLeadDays === null ? '–' : `${run.figures.medianLeadDays} days`),
  },
  { label: 'Right reason when the case opened', value: (run) => share(run.figures.rightReasonAtOpening) },
  { label: 'Accounts flagged', value: (run) => String(run.figures.flagged) },
  {
    label: 'Flagged and stayed (false alarms)',
    value: (run) => String(run.accountsBehind.falsePositives.length),
  },
];

function AccountList({ label, accounts }: { label: string; accounts: readonly string[] }) {
  if (accounts.length === 0) return null;
  return (
    <p className="small">
      {label} ({accounts.length}):{' '}
      {accounts.slice(0, 20).map((account, index) => (
        <span key={account}>
          {index > 0 && ', '}
          <Link to={`/accounts?q=${encodeURIComponent(account)}`}>{account}</Link>
        </span>
      ))}
      {accounts.length > 20 && ', …'}
    </p>
  );
}

export function RulesBacktest({
  draft,
  ruleName,
}: {
  draft: DetectionRule[] | null;
  ruleName: (key: string) => string;
}) {
  const [to, setTo] = useState(() => dayText(Date.now()));
  const [from, setFrom] = useState(() => dayText(Date.now() - 179 * DAY));
  const run = useMutation({
    mutationFn: () =>
      api<DetectionBacktest>('/detection/backtest', {
        method: 'POST',
        body: { from, to, ...(draft ? { rules: draft } : {}) },
      }),
  });
  const report = run.data;
  const tried = report?.candidate;
  return (
    <section className="card" aria-label="Try the rules on history">
      <h2>Try the rules on history</h2>
      <p className="muted small">
        Replays detection day by day over the stored signals, writing nothing, and judges what it would have
        opened against the customers who left (cases closed as lost). With unsaved changes, your draft is
        replayed beside the live rules.
      </p>
      <div className="form-grid">
        <label>
          From
          <input type="date" value={from} onChange={(event) => setFrom(event.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={to} onChange={(event) => setTo(event.target.value)} />
        </label>
      </div>
      <div className="actions">
        <button type="button" disabled={run.isPending} onClick={() => run.mutate()}>
          {run.isPending ? 'Replaying…' : draft ? 'Try my changes on history' : 'Backtest the live rules'}
        </button>
      </div>
      <ActionError error={run.error} />
      {report && (
        <div data-testid="rules-backtest">
          <p className="small">
            {report.from} to {report.to}: {report.days} days, {report.accounts} accounts, {report.churned}{' '}
            left. Replayed in {(report.ms / 1000).toFixed(1)} s; nothing was written.
          </p>
          <table className="compact">
            <thead>
              <tr>
                <th scope="col">Figure</th>
                <th scope="col" className="num">
                  Live rules
                </th>
                {tried && (
                  <th scope="col" className="num">
                    Your changes
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {HEADLINES.map((headline) => (
                <tr key={headline.label}>
                  <th scope="row">{headline.label}</th>
                  <td className="num">{headline.value(report.current)}</td>
                  {tried && <td className="num">{headline.value(tried)}</td>}
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Per rule{tried ? ', with your changes' : ''}</h3>
          <table className="compact">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col" className="num">
                  Fired
                </th>
                <th scope="col" className="num">
                  On customers who left
                </th>
                <th scope="col" className="num">
                  Share of its firings on customers who left
                </th>
                <th scope="col" className="num">
                  Cases opened
                </th>
                <th scope="col" className="num">
                  Weak sign waited alone
                </th>
              </tr>
            </thead>
            <tbody>
              {(tried ?? report.current).figures.rules.map((rule) => (
                <tr key={rule.rule}>
                  <th scope="row">{ruleName(rule.rule)}</th>
                  <td className="num">{rule.firings}</td>
                  <td className="num">{rule.onChurners}</td>
                  <td className="num">{share(rule.precision)}</td>
                  <td className="num">{rule.casesOpened}</td>
                  <td className="num">{rule.waitedAlone}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.difference && (
            <>
              <h3>What your changes would change</h3>
              {report.difference.wouldOpen.length + report.difference.wouldNotOpen.length === 0 ? (
                <p className="small">The same accounts would be flagged.</p>
              ) : (
                <>
                  <AccountList
                    label="Would be flagged, and are not now"
                    accounts={report.difference.wouldOpen}
                  />
                  <AccountList label="Would no longer be flagged" accounts={report.difference.wouldNotOpen} />
                </>
              )}
            </>
          )}
          <AccountList
            label="Left without a case 30 days ahead (live rules)"
            accounts={report.current.accountsBehind.missed}
          />
          <AccountList
            label="Flagged and stayed (live rules)"
            accounts={report.current.accountsBehind.falsePositives}
          />
        </div>
      )}
    </section>
  );
}
