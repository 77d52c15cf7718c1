// Churn analysis: attrition of the book and of each saved segment against the annual target, when
// customers leave (tenure, days before renewal), where in the journey (lifecycle stage), why (the
// reasons of lost cases) and what separation surveys say.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, query } from '../../api/client';
import type { AttritionLine, Bucket, ChurnAnalysis } from '../../api/types';
import { SelectField, TeamSelect } from '../../components/fields';
import { Queried } from '../../components/queried';
import { formatDate, formatMoney, formatNumber } from '../../format';
import { BarTable } from './bars';

const PERIODS = [
  { value: '365', label: 'Last 12 months' },
  { value: '182', label: 'Last 6 months' },
  { value: '91', label: 'Last 3 months' },
];
const STATUS_TEXT: Record<AttritionLine['status'], string> = {
  on_target: 'On target',
  off_target: 'Off target',
  no_data: 'No data',
};
const DAY = 86_400_000;

const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
const percent = (value: number) => `${Math.round(value * 10) / 10}%`;
const shareOf = (part: number, whole: number) => (whole > 0 ? percent((part / whole) * 100) : '–');

export default function ChurnAnalysisPage() {
  const [teamId, setTeamId] = useState('');
  const [days, setDays] = useState('365');
  const analysis = useQuery({
    queryKey: ['churn-analysis', teamId, days],
    queryFn: () => {
      const from = new Date(Date.now() - Number(days) * DAY).toISOString().slice(0, 10);
      return api<ChurnAnalysis>(`/churn-analysis${query({ teamId, from })}`);
    },
  });
  return (
    <section className="page">
      <div className="page-head">
        <h1>Churn analysis</h1>
      </div>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <TeamSelect value={teamId} onChange={setTeamId} anyLabel="All teams" />
        <SelectField label="Period" value={days} options={PERIODS} onChange={setDays} />
      </form>
      <Queried query={analysis} loading="Analysing the customers who left…">
        {(data) => <Analysis data={data} />}
      </Queried>
    </section>
  );
}

function Analysis({ data }: { data: ChurnAnalysis }) {
  const lostArr = data.overall.lostArr;
  const lines = [data.overall, ...data.segments];
  return (
    <>
      <p className="report-title-line">
        Customers lost from {formatDate(data.from)} to {formatDate(data.to)}:{' '}
        <strong>
          {formatNumber(data.overall.lostAccounts)} account{data.overall.lostAccounts === 1 ? '' : 's'},{' '}
          {formatMoney(lostArr)} ARR
        </strong>
        .
      </p>

      <section className="report-section" aria-labelledby="churn-attrition">
        <h2 id="churn-attrition">Attrition against target</h2>
        <p>
          {data.overall.attritionPercent === null
            ? 'There is no ARR in this book to measure attrition against.'
            : `All accounts: ${percent(data.overall.attritionPercent)} a year against the annual target of ${percent(data.targetPercent)}, ${STATUS_TEXT[data.overall.status].toLowerCase()}.`}
        </p>
        <BarTable
          caption={`Lost ARR as a yearly share of the ARR base, for the book and each saved segment; the dashed line is the annual target of ${percent(data.targetPercent)}.`}
          labelHeader="Accounts"
          barHeader="Attrition a year"
          columns={[
            { header: 'Attrition', numeric: true },
            { header: 'Target' },
            { header: 'Lost accounts', numeric: true },
            { header: 'Lost ARR', numeric: true },
            { header: 'ARR still here', numeric: true },
          ]}
          max={data.targetPercent * 1.5}
          marker={{ value: data.targetPercent, label: `Target ${percent(data.targetPercent)}` }}
          rows={lines.map((line) => ({
            key: line.key,
            label: line.key === 'all' ? <strong>{line.name}</strong> : line.name,
            value: line.attritionPercent,
            warn: line.status === 'off_target',
            cells: [
              line.attritionPercent === null ? 'No data' : percent(line.attritionPercent),
              <span key="status" className={`status-text-${line.status}`}>
                {STATUS_TEXT[line.status]}
              </span>,
              formatNumber(line.lostAccounts),
              formatMoney(line.lostArr),
              formatMoney(line.remainingArr),
            ],
          }))}
        />
        {data.segments.length > 0 &&
          data.segments.every((line) => line.lostAccounts === 0) &&
          lostArr > 0 && (
            <p className="hint">
              A loss counts for a segment when the account was a member when it left; none of the accounts
              lost in this period was then a member of a saved segment.
            </p>
          )}
      </section>

      <section className="report-section" aria-labelledby="churn-when">
        <h2 id="churn-when">When customers leave</h2>
        <div className="side-by-side">
          <BucketTable
            caption="How long they had been customers when they left"
            labelHeader="Tenure"
            buckets={data.when.tenure}
            lostArr={lostArr}
          />
          <BucketTable
            caption="How far from their renewal date they left"
            labelHeader="Days before renewal"
            buckets={data.when.renewal}
            lostArr={lostArr}
          />
        </div>
        {data.when.tenure.every((bucket) => bucket.label === 'unknown' || bucket.cases === 0) &&
          lostArr > 0 && (
            <p className="hint">
              Tenure needs the date each account became a customer: an account attribute such as
              customer_since, signup_date or contract_start.
            </p>
          )}
      </section>

      <section className="report-section" aria-labelledby="churn-journey">
        <h2 id="churn-journey">Weak points in the journey</h2>
        <WeakPoints data={data} />
        <BucketTable
          caption="Lifecycle stage the accounts were in when they left, most losses first"
          labelHeader="Lifecycle stage"
          buckets={data.when.lifecycleStage}
          lostArr={lostArr}
        />
      </section>

      <section className="report-section" aria-labelledby="churn-why">
        <h2 id="churn-why">Why they leave</h2>
        <BucketTable
          caption="Reasons on the lost cases (a case with several reasons counts under each)"
          labelHeader="Reason"
          buckets={data.why.reasons}
          lostArr={lostArr}
        />
      </section>

      <section className="report-section" aria-labelledby="churn-survey">
        <h2 id="churn-survey">Separation surveys</h2>
        <Survey survey={data.why.survey} lost={data.overall.lostAccounts} />
      </section>
    </>
  );
}

/** A distribution of lost cases with their ARR, the bar drawn by cases. */
function BucketTable({
  caption,
  labelHeader,
  buckets,
  lostArr,
}: {
  caption: string;
  labelHeader: string;
  buckets: readonly Bucket[];
  lostArr: number;
}) {
  if (buckets.length === 0) return <p>{caption}: no customer was lost in this period.</p>;
  return (
    <BarTable
      caption={caption}
      labelHeader={labelHeader}
      barHeader="Lost cases"
      columns={[
        { header: 'Cases', numeric: true },
        { header: 'Lost ARR', numeric: true },
        { header: 'Share of lost ARR', numeric: true },
      ]}
      rows={buckets.map((bucket) => ({
        key: bucket.label,
        label: sentence(bucket.label),
        value: bucket.cases,
        cells: [formatNumber(bucket.cases), formatMoney(bucket.arr), shareOf(bucket.arr, lostArr)],
      }))}
    />
  );
}

/** Where the most ARR was lost, in words. */
function WeakPoints({ data }: { data: ChurnAnalysis }) {
  const lostArr = data.overall.lostArr;
  if (lostArr <= 0) return <p>No customer was lost in this period.</p>;
  const biggest = (buckets: readonly Bucket[]) =>
    [...buckets].filter((bucket) => bucket.label !== 'unknown').sort((a, b) => b.arr - a.arr)[0];
  const stage = biggest(data.when.lifecycleStage);
  const tenure = biggest(data.when.tenure);
  const renewal = biggest(data.when.renewal);
  return (
    <ul>
      {stage && (
        <li>
          Most lost ARR left in the <strong>{stage.label}</strong> stage: {shareOf(stage.arr, lostArr)} (
          {formatNumber(stage.cases)} case{stage.cases === 1 ? '' : 's'}).
        </li>
      )}
      {tenure && tenure.cases > 0 && (
        <li>
          By tenure, the weakest point is <strong>{tenure.label}</strong>: {shareOf(tenure.arr, lostArr)} of
          lost ARR.
        </li>
      )}
      {renewal && renewal.cases > 0 && (
        <li>
          By renewal, most lost ARR left <strong>{renewal.label}</strong>: {shareOf(renewal.arr, lostArr)}.
        </li>
      )}
    </ul>
  );
}

function Survey({ survey, lost }: { survey: ChurnAnalysis['why']['survey']; lost: number }) {
  if (survey.answered === 0)
    return <p>No separation survey was answered for the customers lost in this period.</p>;
  const { yes, no, unsure } = survey.wouldReturn;
  return (
    <>
      <p>
        {formatNumber(survey.answered)} of {formatNumber(lost)} lost customer{lost === 1 ? '' : 's'} answered
        the separation survey. Would they come back? Yes {yes}, no {no}, not sure {unsure}.
      </p>
      <div className="side-by-side">
        <BucketTable
          caption="The main reason they gave"
          labelHeader="Main reason"
          buckets={survey.primaryReasons}
          lostArr={survey.primaryReasons.reduce((sum, bucket) => sum + bucket.arr, 0)}
        />
        <div className="table-wrap">
          <table className="compact">
            <caption>Where they went</caption>
            <thead>
              <tr>
                <th scope="col">Competitor</th>
                <th scope="col" className="num">
                  Customers
                </th>
              </tr>
            </thead>
            <tbody>
              {survey.competitors.length === 0 ? (
                <tr>
                  <td colSpan={2}>No competitor named.</td>
                </tr>
              ) : (
                survey.competitors.map((competitor) => (
                  <tr key={competitor.name}>
                    <th scope="row">{competitor.name}</th>
                    <td className="num">{competitor.cases}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      </div>
      {survey.comments.length > 0 && (
        <>
          <h3>In their words</h3>
          <ul>
            {survey.comments.map((comment) => (
              <li key={comment.caseId}>
                <q>{comment.comment}</q>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
