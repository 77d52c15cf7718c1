// The detection rules as a form: each rule's name, reason, condition, cool-down and re-arm margin,
// with rules added and removed; saved like the JSON editor, on the revision the admin began from
// and merged rule by rule with another admin's save.
import { useState } from 'react';
import { useReasons } from '../../api/hooks';
import type { DetectionRule } from '../../api/types';
import { keyedListMerge, OverlapNotice, SavedNote, useDocumentEdit } from '../../components/document-edit';
import { ActionError, ErrorState, Loading } from '../../components/states';
import { RulesBacktest } from './rules-backtest';

type Condition = DetectionRule['condition'];
type MeasureCondition = Extract<Condition, { kind: 'measure' }>;
type Input = MeasureCondition['input'];

const CONDITIONS: { kind: Condition['kind']; label: string }[] = [
  { kind: 'health_below', label: 'The health score is below a threshold' },
  { kind: 'health_drop', label: 'The health score drops' },
  { kind: 'measure', label: 'A measure of the account’s signals is in a range' },
];

const INPUTS: { kind: Input['kind']; label: string }[] = [
  { kind: 'trend', label: 'Change of a metric against the window before (%)' },
  { kind: 'window_total', label: 'Total of a metric over a window' },
  { kind: 'latest', label: 'Latest value of a metric' },
  { kind: 'days_since', label: 'Days since a metric was last above zero' },
  { kind: 'days_silent', label: 'Days since a metric last reported anything (data stopped)' },
  { kind: 'running_total', label: 'Running total of a metric' },
  { kind: 'days_past_due', label: 'Days the oldest unpaid invoice is past due' },
  { kind: 'milestone_days_late', label: 'Days the running onboarding milestone is late' },
];

function defaultCondition(kind: Condition['kind']): Condition {
  if (kind === 'health_below') return { kind, threshold: 40 };
  if (kind === 'health_drop') return { kind, percent: 20, windowDays: 30 };
  return {
    kind,
    input: { kind: 'trend', metric: 'usage.active_users', windowDays: 14 },
    min: null,
    max: -30,
  };
}

function defaultInput(kind: Input['kind'], metric: string): Input {
  switch (kind) {
    case 'trend':
    case 'window_total':
      return { kind, metric, windowDays: 30 };
    case 'latest':
      return { kind, metric, maxAgeDays: 90 };
    case 'days_since':
    case 'days_silent':
    case 'running_total':
      return { kind, metric };
    case 'days_past_due':
    case 'milestone_days_late':
      return { kind };
  }
}

const keyOf = (name: string, taken: readonly DetectionRule[]) => {
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '')
      .slice(0, 56) || 'rule';
  let key = base;
  for (let n = 2; taken.some((rule) => rule.key === key); n += 1) key = `${base}_${n}`;
  return key;
};

const numberOrNull = (text: string) => (text.trim() === '' ? null : Number(text));

const describeRule = (rule: DetectionRule | undefined) => (rule === undefined ? 'removed' : 'changed');
const merge = keyedListMerge<DetectionRule>(describeRule, (rule) => `Rule “${rule.name}”`);

export function DetectionRulesForm() {
  const reasons = useReasons();
  const [draft, setDraft] = useState<DetectionRule[] | null>(null);
  const edit = useDocumentEdit<DetectionRule[], DetectionRule[]>({
    queryKey: ['detection-rules', 'revised'],
    path: '/detection/rules',
    method: 'PUT',
    unwrap: (answer) => (answer as { items: DetectionRule[] }).items,
    merge: {
      overlaps: merge.overlaps,
      body: (onto, rules, base) => ({ items: merge.body(onto, rules, base) }),
    },
    alsoStale: [['detection-rules']],
    onSaved: () => setDraft(null),
  });
  const current = edit.current;
  if (current.isPending) return <Loading />;
  if (current.isError) return <ErrorState error={current.error} retry={() => void current.refetch()} />;
  const rules = draft ?? current.data.value;
  const change = (index: number, next: Partial<DetectionRule>) => {
    edit.begin();
    setDraft(rules.map((rule, i) => (i === index ? { ...rule, ...next } : rule)));
  };
  const setCondition = (index: number, condition: Condition) => change(index, { condition });
  const activeReasons = (reasons.data ?? []).filter((reason) => reason.active);
  return (
    <>
      <form
        className="card rules-form"
        aria-label="Detection rules"
        onSubmit={(event) => {
          event.preventDefault();
          edit.save(rules);
        }}
      >
        <p className="muted small">
          A rule opens a risk case, or adds its reason to the open one, once its condition has held for its
          number of days in a row. It fires again only after the condition has cleared by the re-arm margin
          and its cool-down has passed. A weak sign opens a case only while another rule holds too, or adds
          its reason to a case already open.
        </p>
        {rules.map((rule, index) => {
          const condition = rule.condition;
          const label = (what: string) => `${what} (${rule.name})`;
          return (
            <fieldset key={rule.key} className="rule">
              <legend>{rule.name}</legend>
              <div className="form-grid">
                <label>
                  {label('Name')}
                  <input
                    value={rule.name}
                    maxLength={200}
                    onChange={(event) => change(index, { name: event.target.value })}
                  />
                </label>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={rule.active}
                    onChange={(event) => change(index, { active: event.target.checked })}
                  />
                  {label('On')}
                </label>
                <label>
                  {label('Reason it gives')}
                  <select
                    value={rule.reason}
                    onChange={(event) => change(index, { reason: event.target.value })}
                  >
                    {!activeReasons.some((reason) => reason.key === rule.reason) && (
                      <option value={rule.reason}>{rule.reason}</option>
                    )}
                    {activeReasons.map((reason) => (
                      <option key={reason.key} value={reason.key}>
                        {reason.name}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  {label('When')}
                  <select
                    value={condition.kind}
                    onChange={(event) =>
                      setCondition(index, defaultCondition(event.target.value as Condition['kind']))
                    }
                  >
                    {CONDITIONS.map((option) => (
                      <option key={option.kind} value={option.kind}>
                        {option.label}
                      </option>
                    ))}
                  </select>
                </label>
                {condition.kind === 'health_below' && (
                  <label>
                    {label('Score below')}
                    <input
                      type="number"
                      min={0}
                      max={100}
                      value={condition.threshold}
                      onChange={(event) =>
                        setCondition(index, { ...condition, threshold: Number(event.target.value) })
                      }
                    />
                  </label>
                )}
                {condition.kind === 'health_drop' && (
                  <>
                    <label>
                      {label('Drop of at least (%)')}
                      <input
                        type="number"
                        min={1}
                        max={100}
                        value={condition.percent}
                        onChange={(event) =>
                          setCondition(index, { ...condition, percent: Number(event.target.value) })
                        }
                      />
                    </label>
                    <label>
                      {label('Against the score this many days ago')}
                      <input
                        type="number"
                        min={1}
                        value={condition.windowDays}
                        onChange={(event) =>
                          setCondition(index, { ...condition, windowDays: Number(event.target.value) })
                        }
                      />
                    </label>
                  </>
                )}
                {condition.kind === 'measure' && (
                  <MeasureFields
                    condition={condition}
                    label={label}
                    onChange={(next) => setCondition(index, next)}
                  />
                )}
                <label>
                  {label('Cool-down (days)')}
                  <input
                    type="number"
                    min={0}
                    max={365}
                    value={rule.cooldownDays}
                    onChange={(event) => change(index, { cooldownDays: Number(event.target.value) })}
                  />
                </label>
                <label>
                  {label('Re-arm margin')}
                  <input
                    type="number"
                    min={0}
                    step="any"
                    value={rule.hysteresis}
                    onChange={(event) => change(index, { hysteresis: Number(event.target.value) })}
                  />
                </label>
                <label>
                  {label('Holds for (days in a row)')}
                  <input
                    type="number"
                    min={1}
                    max={90}
                    value={rule.forDays}
                    onChange={(event) => change(index, { forDays: Number(event.target.value) })}
                  />
                </label>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={rule.weak}
                    onChange={(event) => change(index, { weak: event.target.checked })}
                  />
                  {label('Weak sign: opens a case only with another sign')}
                </label>
              </div>
              <button
                type="button"
                className="small"
                onClick={() => {
                  edit.begin();
                  setDraft(rules.filter((_, i) => i !== index));
                }}
              >
                Remove {rule.name}
              </button>
            </fieldset>
          );
        })}
        <button
          type="button"
          onClick={() => {
            edit.begin();
            const name = 'New rule';
            setDraft([
              ...rules,
              {
                key: keyOf(name, rules),
                name,
                reason: activeReasons[0]?.key ?? 'product_adoption',
                condition: defaultCondition('health_below'),
                cooldownDays: 7,
                hysteresis: 0,
                forDays: 1,
                weak: false,
                active: false,
              },
            ]);
          }}
        >
          Add a rule
        </button>
        {edit.overlaps ? (
          <OverlapNotice
            what="detection rules"
            overlaps={edit.overlaps}
            pending={edit.pending}
            onSaveMine={() => edit.saveMine(rules)}
            onKeepTheirs={() => {
              edit.keepTheirs();
              setDraft(null);
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
            disabled={edit.pending || draft === null || edit.overlaps !== null}
          >
            Save rules
          </button>
          <button type="button" disabled={draft === null} onClick={() => setDraft(null)}>
            Undo my changes
          </button>
        </div>
      </form>
      <RulesBacktest
        draft={draft}
        ruleName={(key) => [...rules, ...current.data.value].find((rule) => rule.key === key)?.name ?? key}
      />
    </>
  );
}

function MeasureFields({
  condition,
  label,
  onChange,
}: {
  condition: MeasureCondition;
  label: (what: string) => string;
  onChange: (next: MeasureCondition) => void;
}) {
  const input = condition.input;
  const metric = 'metric' in input ? input.metric : 'usage.active_users';
  return (
    <>
      <label>
        {label('Measure')}
        <select
          value={input.kind}
          onChange={(event) =>
            onChange({ ...condition, input: defaultInput(event.target.value as Input['kind'], metric) })
          }
        >
          {INPUTS.map((option) => (
            <option key={option.kind} value={option.kind}>
              {option.label}
            </option>
          ))}
        </select>
      </label>
      {'metric' in input && (
        <label>
          {label('Metric')}
          <input
            value={input.metric}
            maxLength={200}
            onChange={(event) => onChange({ ...condition, input: { ...input, metric: event.target.value } })}
          />
        </label>
      )}
      {'windowDays' in input && (
        <label>
          {label('Window (days)')}
          <input
            type="number"
            min={1}
            value={input.windowDays}
            onChange={(event) =>
              onChange({ ...condition, input: { ...input, windowDays: Number(event.target.value) } })
            }
          />
        </label>
      )}
      {'maxAgeDays' in input && (
        <label>
          {label('No older than (days)')}
          <input
            type="number"
            min={1}
            value={input.maxAgeDays}
            onChange={(event) =>
              onChange({ ...condition, input: { ...input, maxAgeDays: Number(event.target.value) } })
            }
          />
        </label>
      )}
      <label>
        {label('At least (empty: no lower bound)')}
        <input
          type="number"
          step="any"
          value={condition.min ?? ''}
          onChange={(event) => onChange({ ...condition, min: numberOrNull(event.target.value) })}
        />
      </label>
      <label>
        {label('At most (empty: no upper bound)')}
        <input
          type="number"
          step="any"
          value={condition.max ?? ''}
          onChange={(event) => onChange({ ...condition, max: numberOrNull(event.target.value) })}
        />
      </label>
    </>
  );
}
