// The settings, the health scorecard's weights and the detection rules, each edited on the
// revision the admin began from: another admin's save meanwhile is merged in where it touched
// other parts, and shown side by side with the admin's own where it touched the same ones.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import type { DetectionRule, Scorecard, ScorecardPreview, ScoreRun, Settings } from '../../api/types';
import {
  keyedListMerge,
  mergeKeyed,
  OverlapNotice,
  SavedNote,
  useDocumentEdit,
  type DocumentMerge,
} from '../../components/document-edit';
import { LocaleSelect } from '../../components/fields';
import { DetectionRulesForm } from './rules-form';
import { ActionError, ErrorState, Loading } from '../../components/states';

type SettingKey = keyof Settings;

const SETTING_LABELS: Partial<Record<SettingKey, string>> = {
  updateOverdueDays: 'Weekly update overdue after (days)',
  digitalLtvThreshold: 'Digital track below LTV ($)',
  expectedLifetimeYears: 'Expected customer lifetime (years)',
  detectionQuietDays: 'Closed case stays closed for (days)',
  detectionRecoveryDays:
    'Close a detected case as recovered when its signs have been clear for (days; 0: never)',
  dailyRunHourUtc: 'Daily re-scoring hour (UTC)',
  sessionIdleHours: 'Log out after idle (hours)',
  importLocale: 'How imported files write numbers and dates',
  outboundAllowlist: 'Internal hosts plays may send webhooks to',
};

type NumberSetting =
  | 'updateOverdueDays'
  | 'digitalLtvThreshold'
  | 'expectedLifetimeYears'
  | 'detectionQuietDays'
  | 'detectionRecoveryDays'
  | 'dailyRunHourUtc'
  | 'sessionIdleHours';

const NUMBER_SETTINGS: [NumberSetting, number][] = [
  ['updateOverdueDays', 1],
  ['digitalLtvThreshold', 500],
  ['expectedLifetimeYears', 0.5],
  ['detectionQuietDays', 1],
  ['detectionRecoveryDays', 1],
  ['dailyRunHourUtc', 1],
  ['sessionIdleHours', 1],
];

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function settingText(key: SettingKey, value: unknown): string {
  if (key === 'importLocale') return typeof value === 'string' && value ? value : 'Ask';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(', ');
  return String(value);
}

/** Settings are changed field by field (PATCH): a field only one admin changed never conflicts. */
const settingsMerge: DocumentMerge<Settings, Partial<Settings>> = {
  overlaps: (base, theirs, changes) =>
    (Object.keys(changes) as SettingKey[])
      .filter((key) => !sameValue(base[key], theirs[key]) && !sameValue(theirs[key], changes[key]))
      .map((key) => ({
        key,
        part: SETTING_LABELS[key] ?? key,
        theirs: settingText(key, theirs[key]),
        mine: settingText(key, changes[key]),
      })),
  body: (_onto, changes) => changes,
};

export function ProcessSettings() {
  const [draft, setDraft] = useState<Partial<Settings>>({});
  const [hostsText, setHostsText] = useState<string | null>(null);
  const edit = useDocumentEdit({
    queryKey: ['settings', 'revised'],
    path: '/settings',
    method: 'PATCH',
    merge: settingsMerge,
    alsoStale: [['settings']],
    onSaved: () => {
      setDraft({});
      setHostsText(null);
    },
  });
  const settings = edit.current;
  if (settings.isPending) return <Loading />;
  if (settings.isError) return <ErrorState error={settings.error} retry={() => void settings.refetch()} />;
  const value = { ...settings.data.value, ...draft };
  const change = (changes: Partial<Settings>) => {
    edit.begin();
    setDraft((current) => ({ ...current, ...changes }));
  };
  return (
    <form
      className="card form-grid"
      onSubmit={(event) => {
        event.preventDefault();
        edit.save(draft);
      }}
    >
      {NUMBER_SETTINGS.map(([key, step]) => (
        <label key={key}>
          {SETTING_LABELS[key]}
          <input
            type="number"
            step={step}
            value={value[key]}
            onChange={(event) => change({ [key]: Number(event.target.value) })}
          />
        </label>
      ))}
      <LocaleSelect
        label={SETTING_LABELS.importLocale ?? ''}
        value={value.importLocale ?? ''}
        onChange={(tag) => change({ importLocale: tag || null })}
        anyLabel="Ask: refuse a value that reads two ways"
      />
      <label>
        Internal hosts plays may send webhooks to (host names, addresses or CIDR ranges, one per line)
        <textarea
          rows={3}
          value={hostsText ?? value.outboundAllowlist.join('\n')}
          onChange={(event) => {
            setHostsText(event.target.value);
            change({
              outboundAllowlist: event.target.value
                .split('\n')
                .map((line) => line.trim())
                .filter(Boolean),
            });
          }}
        />
      </label>
      {edit.overlaps ? (
        <OverlapNotice
          what="settings"
          overlaps={edit.overlaps}
          pending={edit.pending}
          onSaveMine={() => edit.saveMine(draft)}
          onKeepTheirs={() => {
            const dropped = new Set(edit.keepTheirs().overlaps.map((overlap) => overlap.key));
            setDraft((current) =>
              Object.fromEntries(Object.entries(current).filter(([key]) => !dropped.has(key))),
            );
            if (dropped.has('outboundAllowlist')) setHostsText(null);
          }}
        />
      ) : (
        <ActionError error={edit.error} />
      )}
      <SavedNote edit={edit} />
      <div className="actions">
        <button
          type="submit"
          className="primary"
          disabled={edit.pending || Object.keys(draft).length === 0 || edit.overlaps !== null}
        >
          Save settings
        </button>
      </div>
    </form>
  );
}

type Weights = Record<string, number>;

/** The weights are set on the scorecard as it is when saved: other changes to it are kept. */
const weightsMerge = (names: (key: string) => string): DocumentMerge<Scorecard, Weights> => ({
  overlaps: (base, theirs, weights) =>
    Object.entries(weights).flatMap(([key, weight]) => {
      const was = base.measures.find((measure) => measure.key === key)?.weight;
      const now = theirs.measures.find((measure) => measure.key === key)?.weight;
      return was !== now && now !== weight
        ? [
            {
              key,
              part: names(key),
              theirs: now === undefined ? 'removed' : String(now),
              mine: String(weight),
            },
          ]
        : [];
    }),
  body: (onto, weights) => ({
    ...onto,
    measures: onto.measures.map((measure) => ({
      ...measure,
      weight: weights[measure.key] ?? measure.weight,
    })),
  }),
});

export function HealthWeights() {
  const [weights, setWeights] = useState<Weights>({});
  const [names] = useState(() => new Map<string, string>());
  const edit = useDocumentEdit({
    queryKey: ['scorecard', 'revised'],
    path: '/health/scorecard',
    method: 'PUT',
    merge: weightsMerge((key) => `Weight of ${names.get(key) ?? key}`),
    alsoStale: [['scorecard']],
    onSaved: () => setWeights({}),
  });
  const client = useQueryClient();
  const preview = useMutation({
    mutationFn: (candidate: Scorecard) =>
      api<ScorecardPreview>('/health/scorecard/preview', { method: 'POST', body: { scorecard: candidate } }),
  });
  const rescore = useMutation({
    mutationFn: () => api<ScoreRun>('/health/rescore', { method: 'POST' }),
    onSuccess: () => {
      for (const key of ['account', 'risk-cases', 'segments'])
        void client.invalidateQueries({ queryKey: [key] });
    },
  });
  const scorecard = edit.current;
  if (scorecard.isPending) return <Loading />;
  if (scorecard.isError) return <ErrorState error={scorecard.error} retry={() => void scorecard.refetch()} />;
  const card = scorecard.data.value;
  for (const measure of card.measures) names.set(measure.key, measure.name);
  const total = card.measures.reduce((sum, measure) => sum + (weights[measure.key] ?? measure.weight), 0);
  return (
    <form
      className="card"
      onSubmit={(event) => {
        event.preventDefault();
        edit.save(weights);
      }}
    >
      <h2>Measure weights</h2>
      <p className="muted small">
        Weights are relative; each measure counts for its share of the total ({total}).
      </p>
      <table className="compact">
        <thead>
          <tr>
            <th scope="col">Measure</th>
            <th scope="col" className="num">
              Weight
            </th>
            <th scope="col" className="num">
              Share
            </th>
          </tr>
        </thead>
        <tbody>
          {card.measures.map((measure) => {
            const weight = weights[measure.key] ?? measure.weight;
            return (
              <tr key={measure.key}>
                <th scope="row">{measure.name}</th>
                <td className="num">
                  <input
                    type="number"
                    min={0}
                    aria-label={`Weight of ${measure.name}`}
                    value={weight}
                    onChange={(event) => {
                      edit.begin();
                      setWeights({ ...weights, [measure.key]: Number(event.target.value) });
                    }}
                  />
                </td>
                <td className="num">{total > 0 ? `${Math.round((weight / total) * 100)}%` : '–'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="small">
        Bands: {card.bands.map((band) => `${band.name} from ${band.min}`).join(', ')}. Scores change at the
        next re-scoring.
      </p>
      {edit.overlaps ? (
        <OverlapNotice
          what="health scorecard"
          overlaps={edit.overlaps}
          pending={edit.pending}
          onSaveMine={() => edit.saveMine(weights)}
          onKeepTheirs={() => {
            const dropped = new Set(edit.keepTheirs().overlaps.map((overlap) => overlap.key));
            setWeights((current) =>
              Object.fromEntries(Object.entries(current).filter(([key]) => !dropped.has(key))),
            );
          }}
        />
      ) : (
        <ActionError error={edit.error} />
      )}
      <SavedNote edit={edit} />
      {preview.data && <BandPreview preview={preview.data} />}
      <ActionError error={preview.error} />
      <div className="actions">
        <button
          type="button"
          disabled={preview.isPending || Object.keys(weights).length === 0}
          onClick={() => preview.mutate(weightsMerge(() => '').body(card, weights, card) as Scorecard)}
        >
          {preview.isPending ? 'Scoring the book…' : 'Preview the bands'}
        </button>
        <button
          type="submit"
          className="primary"
          disabled={edit.pending || Object.keys(weights).length === 0 || edit.overlaps !== null}
        >
          Save weights
        </button>
        <button type="button" disabled={rescore.isPending} onClick={() => rescore.mutate()}>
          {rescore.isPending ? 'Re-scoring…' : 'Re-score now'}
        </button>
      </div>
      {rescore.data && (
        <p className="small" role="status">
          Re-scored {rescore.data.scored.toLocaleString('en-US')} accounts:{' '}
          {rescore.data.bandChanges.toLocaleString('en-US')} changed band
          {rescore.data.withoutData > 0
            ? `; ${rescore.data.withoutData.toLocaleString('en-US')} have no data yet and no score`
            : ''}
          .
        </p>
      )}
      <ActionError error={rescore.error} />
    </form>
  );
}

/** How many accounts each band would hold with the edited weights, against now. */
function BandPreview({ preview }: { preview: ScorecardPreview }) {
  const bands = [...new Set([...preview.live, ...preview.candidate].map((row) => row.band))];
  const count = (rows: ScorecardPreview['live'], band: string | null) =>
    rows.find((row) => row.band === band)?.accounts ?? 0;
  return (
    <div className="notice" role="status">
      <table className="compact">
        <caption>
          With these weights, {preview.changed.toLocaleString('en-US')} of{' '}
          {preview.accounts.toLocaleString('en-US')} accounts would change band (scored on today’s data)
        </caption>
        <thead>
          <tr>
            <th scope="col">Band</th>
            <th scope="col" className="num">
              Now
            </th>
            <th scope="col" className="num">
              With these weights
            </th>
          </tr>
        </thead>
        <tbody>
          {bands.map((band) => (
            <tr key={band ?? 'none'}>
              <th scope="row">{band ?? 'No score'}</th>
              <td className="num">{count(preview.live, band).toLocaleString('en-US')}</td>
              <td className="num">{count(preview.candidate, band).toLocaleString('en-US')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const describeRule = (rule: DetectionRule | undefined) =>
  rule === undefined ? 'removed' : JSON.stringify({ ...rule, key: undefined, name: undefined });
const rulesMerge = keyedListMerge<DetectionRule>(describeRule, (rule) => `Rule “${rule.name}”`);

/** The detection rules as JSON, validated by the API on save; merged rule by rule. */
function DetectionRulesJson() {
  const [text, setText] = useState<string | null>(null);
  const [parseError, setParseError] = useState<string | null>(null);
  const [mine, setMine] = useState<DetectionRule[] | null>(null);
  const edit = useDocumentEdit<DetectionRule[], DetectionRule[]>({
    queryKey: ['detection-rules', 'revised'],
    path: '/detection/rules',
    method: 'PUT',
    unwrap: (answer) => (answer as { items: DetectionRule[] }).items,
    merge: {
      overlaps: rulesMerge.overlaps,
      body: (onto, rules, base) => ({ items: rulesMerge.body(onto, rules, base) }),
    },
    onSaved: () => {
      setText(null);
      setMine(null);
    },
  });
  const current = edit.current;
  if (current.isPending) return <Loading />;
  if (current.isError) return <ErrorState error={current.error} retry={() => void current.refetch()} />;
  const shown = text ?? JSON.stringify(current.data.value, null, 2);
  return (
    <form
      className="card"
      onSubmit={(event) => {
        event.preventDefault();
        try {
          setParseError(null);
          const rules = JSON.parse(shown) as DetectionRule[];
          setMine(rules);
          edit.save(rules);
        } catch (error) {
          setParseError(`Not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
        }
      }}
    >
      <label>
        Detection rules as JSON
        <textarea
          className="code-input"
          rows={20}
          spellCheck={false}
          value={shown}
          onChange={(event) => {
            edit.begin();
            setText(event.target.value);
          }}
        />
      </label>
      {parseError && (
        <p className="action-error" role="alert">
          {parseError}
        </p>
      )}
      {edit.overlaps && mine ? (
        <OverlapNotice
          what="detection rules"
          overlaps={edit.overlaps}
          pending={edit.pending}
          onSaveMine={() => edit.saveMine(mine)}
          onKeepTheirs={() => {
            // Theirs where both changed a rule; the admin's own changes to other rules stay in the editor.
            const kept = edit.keepTheirs();
            if (!kept.base || !kept.theirs) return;
            const dropped = new Set(kept.overlaps.map((overlap) => overlap.key));
            const base = kept.base;
            const rest = mine
              .filter((rule) => !dropped.has(rule.key))
              .concat(base.filter((rule) => dropped.has(rule.key)));
            setText(JSON.stringify(mergeKeyed(base, kept.theirs, rest), null, 2));
            setMine(null);
          }}
        />
      ) : (
        <ActionError error={edit.error} />
      )}
      <SavedNote edit={edit} />
      <button
        type="submit"
        className="primary"
        disabled={edit.pending || text === null || edit.overlaps !== null}
      >
        Save
      </button>
    </form>
  );
}

/** The detection rules, as a form or as JSON. */
export function DetectionRules() {
  const [asJson, setAsJson] = useState(false);
  return (
    <>
      <div className="actions">
        <button type="button" aria-pressed={!asJson} onClick={() => setAsJson(false)}>
          Edit as a form
        </button>
        <button type="button" aria-pressed={asJson} onClick={() => setAsJson(true)}>
          Edit as JSON
        </button>
      </div>
      {asJson ? <DetectionRulesJson /> : <DetectionRulesForm />}
    </>
  );
}
