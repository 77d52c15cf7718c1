// Health score backtest: how well the live score, as the store held it on a past day, picked the
// customers lost after it (AUC, lift of the riskiest, churn by band). Admins fit a scorecard from
// the same history, compare its held-out figures with the live one's, preview how many accounts
// would change band, and apply it.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, apiRevised } from '../../api/client';
import type {
  BacktestReport,
  BacktestResult,
  FitResult,
  HealthMeasure,
  MeasureInput,
  Scorecard,
  ScorecardPreview,
  ScoreRun,
} from '../../api/types';
import { Queried } from '../../components/queried';
import { ActionError } from '../../components/states';
import { formatDate, formatNumber } from '../../format';
import { useCan } from '../../session';
import { BarTable } from './bars';

const DAY = 86_400_000;
const DEFAULT_DAYS_BACK = 60;

type HistoryBacktest = BacktestResult & { asOf: string; horizonDays: number };

const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString().slice(0, 10);
/** AUC and other ratios come as null where the rows leave them undefined. */
const ratio = (value: number | null | undefined, digits = 2) =>
  value === null || value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
const percent = (value: number | null | undefined) =>
  value === null || value === undefined || Number.isNaN(value) ? '–' : `${Math.round(value * 1000) / 10}%`;
const times = (value: number | null | undefined) =>
  value === null || value === undefined || Number.isNaN(value) ? '–' : `${value.toFixed(1)}×`;
const liftAt = (report: BacktestReport, share: number) => report.top.find((top) => top.share === share)?.lift;

const HINT =
  'AUC: how often the score puts a customer who left below one who stayed (0.5 is a coin toss, 1 is perfect). ' +
  'Lift: how many times more often the riskiest accounts left than accounts on average.';

export default function BacktestPage() {
  const can = useCan();
  // The day and horizon are in the address, so a backtest can be linked to and opened again.
  const [params, setParams] = useSearchParams();
  const fromAddress = {
    asOf: /^\d{4}-\d{2}-\d{2}$/.test(params.get('asOf') ?? '')
      ? (params.get('asOf') ?? '')
      : daysAgo(DEFAULT_DAYS_BACK),
    horizonDays:
      Number(params.get('horizonDays')) > 0 ? Number(params.get('horizonDays')) : DEFAULT_DAYS_BACK,
  };
  const [asOf, setAsOf] = useState(fromAddress.asOf);
  const [horizon, setHorizon] = useState(String(fromAddress.horizonDays));
  const [run, setRun] = useState(fromAddress);
  const backtest = useQuery({
    queryKey: ['health-backtest', run],
    queryFn: () => api<HistoryBacktest>('/health/history/backtest', { method: 'POST', body: run }),
    retry: false,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setRun({ asOf, horizonDays: Number(horizon) });
    setParams({ asOf, horizonDays: horizon }, { replace: true });
  };
  return (
    <section className="page">
      <div className="page-head">
        <h1>Health score backtest</h1>
      </div>
      <p className="hint">{HINT}</p>
      <form className="filters" onSubmit={submit}>
        <label>
          Scores as of
          <input
            type="date"
            required
            value={asOf}
            max={daysAgo(1)}
            onChange={(e) => setAsOf(e.target.value)}
          />
        </label>
        <label>
          Losses within (days)
          <input
            type="number"
            required
            min={1}
            max={730}
            value={horizon}
            onChange={(e) => setHorizon(e.target.value)}
          />
        </label>
        <button type="submit">Run backtest</button>
      </form>
      <Queried query={backtest} loading="Testing the stored scores against what happened…">
        {(data) => <LiveBacktest result={data} />}
      </Queried>
      <LiveScorecard />
      {can('config.write') && backtest.data && <FitFromHistory run={run} live={backtest.data.report} />}
    </section>
  );
}

function LiveBacktest({ result }: { result: HistoryBacktest }) {
  const { report } = result;
  return (
    <section className="report-section" aria-labelledby="backtest-live">
      <h2 id="backtest-live">The live score on the store&apos;s history</h2>
      <p>
        The scores stored on {formatDate(result.asOf)} against the customers lost in the {result.horizonDays}{' '}
        days after: {formatNumber(report.accounts - report.unscored)} accounts scored,{' '}
        {formatNumber(report.churned)} lost ({percent(report.baseRate)}).
        {report.unscored > 0 &&
          ` ${formatNumber(report.unscored)} accounts had no score that day and are left out.`}
      </p>
      <Figures report={report} />
      <LiftChart report={report} />
      <Calibration report={report} />
    </section>
  );
}

function Figures({ report }: { report: BacktestReport }) {
  return (
    <ul className="figures">
      <li className="figure">
        <span className="muted small">AUC</span>
        <span className="figure-value">{ratio(report.auc)}</span>
      </li>
      <li className="figure">
        <span className="muted small">Lift of the riskiest 10%</span>
        <span className="figure-value">{times(liftAt(report, 0.1))}</span>
      </li>
      <li className="figure">
        <span className="muted small">Lost customers</span>
        <span className="figure-value">{formatNumber(report.churned)}</span>
      </li>
    </ul>
  );
}

function LiftChart({ report, name = 'live score' }: { report: BacktestReport; name?: string }) {
  return (
    <BarTable
      caption={`Lift of the ${name}: the riskiest accounts by score against the average account (dashed line: 1×, no better than chance)`}
      labelHeader="Riskiest"
      barHeader="Lift"
      columns={[
        { header: 'Lift', numeric: true },
        { header: 'Accounts', numeric: true },
        { header: 'Lost', numeric: true },
        { header: 'Share of them lost', numeric: true },
        { header: 'Share of all losses', numeric: true },
      ]}
      marker={{ value: 1, label: 'Average: 1×' }}
      rows={report.top.map((top) => ({
        key: String(top.share),
        label: `${Math.round(top.share * 100)}%`,
        value: top.lift,
        cells: [
          times(top.lift),
          formatNumber(top.accounts),
          formatNumber(top.churned),
          percent(top.precision),
          percent(top.recall),
        ],
      }))}
    />
  );
}

function Calibration({ report, name = 'live score' }: { report: BacktestReport; name?: string }) {
  const predicted = report.calibration.some((row) => row.predicted !== null);
  return (
    <BarTable
      caption={`Calibration of the ${name}: the share of each band that was lost${predicted ? ', beside the churn the scorecard predicted' : ''}`}
      labelHeader="Band"
      barHeader="Lost"
      columns={[
        { header: 'Lost', numeric: true },
        ...(predicted ? [{ header: 'Predicted', numeric: true }] : []),
        { header: 'Accounts', numeric: true },
        { header: 'Lost customers', numeric: true },
      ]}
      max={1}
      rows={report.calibration.map((row) => ({
        key: row.band,
        label: row.band,
        value: row.churnRate,
        cells: [
          percent(row.churnRate),
          ...(predicted ? [percent(row.predicted)] : []),
          formatNumber(row.accounts),
          formatNumber(row.churned),
        ],
      }))}
    />
  );
}

/** An attribute's name in words: "arr" is ARR, "customer_since" is "customer since". */
function attributeName(attribute: string): string {
  if (attribute === 'arr') return 'ARR';
  if (attribute === 'lifecycleStage') return 'lifecycle stage';
  return attribute
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_.]+/g, ' ')
    .toLowerCase();
}

const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function measureName(measure: HealthMeasure): string {
  return measure.input.kind === 'attribute' && measure.name === measure.input.attribute
    ? capital(attributeName(measure.name))
    : measure.name;
}

/** What a measure reads, in words. */
function describeInput(input: MeasureInput, label: string): string {
  switch (input.kind) {
    case 'trend':
      return `Change in ${label} over ${input.windowDays} days against the ${input.windowDays} before`;
    case 'days_since':
      return `Days since the last ${label}`;
    case 'days_silent':
      return `Days since any ${label} data arrived`;
    case 'latest':
      return `${/^latest /i.test(label) ? capital(label) : `Latest ${label}`}, up to ${input.maxAgeDays} days old`;
    case 'window_total':
      return `${capital(label)} over the last ${input.windowDays} days`;
    case 'running_total':
      return capital(label);
    case 'days_past_due':
      return 'Days the oldest unpaid invoice is past due';
    case 'milestone_days_late':
      return 'Days the onboarding milestone is late';
    case 'attribute': {
      const when = input.when;
      if (!when) return `The account's ${attributeName(input.attribute)}`;
      const condition = when.values
        ? `is ${when.values.join(' or ')}`
        : [when.above != null ? `above ${when.above}` : null, when.upTo != null ? `up to ${when.upTo}` : null]
            .filter(Boolean)
            .join(' and ');
      return `The account's ${attributeName(input.attribute)}, where ${attributeName(when.attribute)} ${condition}`;
    }
  }
}

/** The measures of a scorecard by their share of the weight, biggest first. */
function Factors({ scorecard, caption }: { scorecard: Scorecard; caption: string }) {
  const total = scorecard.measures.reduce((sum, measure) => sum + measure.weight, 0) || 1;
  const measures = [...scorecard.measures].sort((a, b) => b.weight - a.weight);
  return (
    <BarTable
      caption={caption}
      labelHeader="Factor"
      barHeader="Share of the score"
      columns={[{ header: 'Weight', numeric: true }, { header: 'What it reads' }]}
      max={Math.max(...measures.map((measure) => measure.weight / total))}
      rows={measures.map((measure) => ({
        key: measure.key,
        label: measureName(measure),
        value: measure.weight / total,
        cells: [percent(measure.weight / total), describeInput(measure.input, measure.label)],
      }))}
    />
  );
}

const bandsText = (scorecard: Scorecard) =>
  [...scorecard.bands]
    .sort((a, b) => a.min - b.min)
    .map((band) => `${band.name} from ${band.min}`)
    .join(', ');

function LiveScorecard() {
  const scorecard = useQuery({ queryKey: ['scorecard'], queryFn: () => api<Scorecard>('/health/scorecard') });
  return (
    <section className="report-section" aria-labelledby="live-scorecard">
      <h2 id="live-scorecard">The live scorecard</h2>
      <Queried query={scorecard}>
        {(card) => (
          <>
            <p>
              {card.churnModel ? `Fitted to churn history: ${card.churnModel.source}.` : 'Set in Settings.'}{' '}
              Bands: {bandsText(card)}.
            </p>
            <Factors scorecard={card} caption="The factors of the live score, by their share of it" />
          </>
        )}
      </Queried>
    </section>
  );
}

function FitFromHistory({ run, live }: { run: { asOf: string; horizonDays: number }; live: BacktestReport }) {
  const client = useQueryClient();
  const [applied, setApplied] = useState<ScoreRun | null>(null);
  const fit = useMutation({
    mutationFn: () => api<FitResult>('/health/history/fit', { method: 'POST', body: run }),
    onMutate: () => setApplied(null),
  });
  // Apply replaces the scorecard the preview was made against: if another admin saved one since,
  // the save is refused (412) rather than undoing theirs, and the preview has to be made again.
  const [previewedOn, setPreviewedOn] = useState<string | null>(null);
  const preview = useMutation({
    mutationFn: async (scorecard: Scorecard) => {
      const live = await apiRevised<Scorecard>('/health/scorecard');
      setPreviewedOn(live.revision);
      return api<ScorecardPreview>('/health/scorecard/preview', { method: 'POST', body: { scorecard } });
    },
  });
  const apply = useMutation({
    mutationFn: async (scorecard: Scorecard) => {
      await api<Scorecard>('/health/scorecard', {
        method: 'PUT',
        body: scorecard,
        ...(previewedOn !== null && { ifMatch: previewedOn }),
      });
      return api<ScoreRun>('/health/rescore', { method: 'POST' });
    },
    onSuccess: (result) => {
      setApplied(result);
      fit.reset();
      preview.reset();
      for (const key of ['scorecard', 'account', 'risk-cases', 'segments'])
        void client.invalidateQueries({ queryKey: [key] });
    },
  });
  const candidate = fit.data;
  return (
    <section className="report-section card" aria-labelledby="fit-title">
      <h2 id="fit-title">Fit from history</h2>
      <p>
        Learns a scorecard from what the accounts looked like on {formatDate(run.asOf)} and who was lost in
        the {run.horizonDays} days after, and tests it on a quarter of the accounts it never saw. Nothing
        changes until you apply it.
      </p>
      <div className="actions no-print">
        <button type="button" onClick={() => fit.mutate()} disabled={fit.isPending}>
          {fit.isPending ? 'Fitting…' : 'Fit from history'}
        </button>
      </div>
      <ActionError error={fit.error} />
      {applied && (
        <p className="notice" role="status">
          The fitted scorecard is live: {formatNumber(applied.scored)} accounts re-scored,{' '}
          {formatNumber(applied.bandChanges)} changed band since their last score.
        </p>
      )}
      {candidate && (
        <>
          <h3>The candidate against the live score</h3>
          <Comparison live={live} candidate={candidate} />
          <Factors
            scorecard={candidate.scorecard}
            caption="The factors of the candidate scorecard, by their share of the score"
          />
          <p className="small muted">Bands: {bandsText(candidate.scorecard)}.</p>
          <LiftChart report={candidate.test} name="candidate" />
          <Calibration report={candidate.test} name="candidate" />
          {!preview.data && (
            <div className="actions no-print">
              <button
                type="button"
                className="primary"
                onClick={() => preview.mutate(candidate.scorecard)}
                disabled={preview.isPending}
              >
                {preview.isPending ? 'Counting band changes…' : 'Apply…'}
              </button>
            </div>
          )}
          <ActionError error={preview.error} />
          {preview.data && (
            <BandChanges
              preview={preview.data}
              applying={apply.isPending}
              confirm={() => apply.mutate(candidate.scorecard)}
              cancel={() => preview.reset()}
            />
          )}
          <ActionError error={apply.error} />
        </>
      )}
    </section>
  );
}

function Comparison({ live, candidate }: { live: BacktestReport; candidate: FitResult }) {
  const test = candidate.test;
  const rows: [string, string, string][] = [
    ['AUC', ratio(live.auc), ratio(test.auc)],
    ...test.top.map((top): [string, string, string] => [
      `Lift of the riskiest ${Math.round(top.share * 100)}%`,
      times(liftAt(live, top.share)),
      times(top.lift),
    ]),
    [
      'Accounts tested',
      formatNumber(live.accounts - live.unscored),
      formatNumber(test.accounts - test.unscored),
    ],
    ['Lost among them', formatNumber(live.churned), formatNumber(test.churned)],
  ];
  return (
    <div className="table-wrap">
      <table className="compact">
        <caption>
          The live score on every account&apos;s stored score, the candidate on the{' '}
          {formatNumber(test.accounts)} accounts held out of the fit (cross-validated AUC while fitting:{' '}
          {ratio(candidate.crossValidatedAuc)})
        </caption>
        <thead>
          <tr>
            <th scope="col">Figure</th>
            <th scope="col" className="num">
              Live score
            </th>
            <th scope="col" className="num">
              Candidate
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, before, after]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td className="num">{before}</td>
              <td className="num">{after}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const bandName = (band: string | null) => band ?? 'No score';

function BandChanges({
  preview,
  applying,
  confirm,
  cancel,
}: {
  preview: ScorecardPreview;
  applying: boolean;
  confirm: () => void;
  cancel: () => void;
}) {
  const bands = [...new Set([...preview.live.map((b) => b.band), ...preview.candidate.map((b) => b.band)])];
  const count = (list: ScorecardPreview['live'], band: string | null) =>
    list.find((entry) => entry.band === band)?.accounts ?? 0;
  return (
    <div className="card confirm" role="region" aria-labelledby="band-changes">
      <h3 id="band-changes">Before you apply</h3>
      <p>
        Scored today with the candidate, <strong>{formatNumber(preview.changed)}</strong> of{' '}
        {formatNumber(preview.accounts)} accounts would change band.
      </p>
      <div className="side-by-side">
        <div className="table-wrap">
          <table className="compact">
            <caption>Accounts per band, now and with the candidate</caption>
            <thead>
              <tr>
                <th scope="col">Band</th>
                <th scope="col" className="num">
                  Now
                </th>
                <th scope="col" className="num">
                  With the candidate
                </th>
              </tr>
            </thead>
            <tbody>
              {bands.map((band) => (
                <tr key={bandName(band)}>
                  <th scope="row">{bandName(band)}</th>
                  <td className="num">{formatNumber(count(preview.live, band))}</td>
                  <td className="num">{formatNumber(count(preview.candidate, band))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="table-wrap">
          <table className="compact">
            <caption>Band changes, most accounts first</caption>
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col" className="num">
                  Accounts
                </th>
              </tr>
            </thead>
            <tbody>
              {preview.moves.length === 0 ? (
                <tr>
                  <td colSpan={3}>No account would change band.</td>
                </tr>
              ) : (
                preview.moves.map((move) => (
                  <tr key={`${bandName(move.from)}-${bandName(move.to)}`}>
                    <td>{bandName(move.from)}</td>
                    <td>{bandName(move.to)}</td>
                    <td className="num">{formatNumber(move.accounts)}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      </div>
      <div className="actions">
        <button type="button" className="primary" onClick={confirm} disabled={applying}>
          {applying ? 'Applying…' : 'Apply this scorecard'}
        </button>
        <button type="button" onClick={cancel} disabled={applying}>
          Cancel
        </button>
      </div>
    </div>
  );
}
