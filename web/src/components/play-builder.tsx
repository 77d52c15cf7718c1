// The play builder: a play's trigger, conditions, holdout and steps as a form. What it builds is
// the definition the API validates; its errors name the field (`definition.steps.1.title`).
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { api } from '../api/client';
import { useReasons, useStages } from '../api/hooks';
import { SelectField, TextField, type Option } from './fields';
import type {
  DetectionRule,
  Items,
  PlayAction,
  PlayDefinition,
  PlayStepInput as PlayStep,
  PlayTrigger,
  Segment,
  TaskAssignee,
} from '../api/types';

const TRIGGERS: Record<PlayTrigger['kind'], string> = {
  case_opened: 'A risk case opens',
  reason_added: 'A reason is added to a case',
  stage_changed: 'A case moves to a stage',
  segment_entered: 'An account enters a segment',
  segment_left: 'An account leaves a segment',
  signal_rule_fired: 'A detection rule fires',
  touchpoint_logged: 'A touchpoint is logged',
  schedule: 'On a schedule',
};

const STEPS: Record<PlayStep['kind'], string> = {
  task: 'Task for a person',
  wait: 'Wait',
  wait_until: 'Wait until the account matches',
  email: 'Email',
  webhook: 'Webhook (Slack-compatible)',
  action: 'Change the case',
};

export const NEW_PLAY: PlayDefinition = {
  trigger: { kind: 'case_opened' },
  conditions: null,
  holdoutPercent: 0,
  steps: [newStep('task')],
};

function newTrigger(kind: PlayTrigger['kind']): PlayTrigger {
  switch (kind) {
    case 'case_opened':
      return { kind };
    case 'reason_added':
      return { kind, reason: '' };
    case 'stage_changed':
      return { kind, to: '' };
    case 'segment_entered':
    case 'segment_left':
      return { kind, segment: '' };
    case 'signal_rule_fired':
      return { kind, rule: '' };
    case 'touchpoint_logged':
      return { kind, reason: 'Risk' };
    case 'schedule':
      return { kind, everyDays: 7 };
  }
}

function newStep(kind: PlayStep['kind']): PlayStep {
  switch (kind) {
    case 'task':
      return {
        kind,
        title: '',
        description: '',
        dueInDays: 3,
        assignee: { kind: 'account_owner' },
        waitForCompletion: false,
      };
    case 'wait':
      return { kind, days: 7 };
    case 'wait_until':
      return { kind, condition: '', timeoutDays: 14 };
    case 'email':
      return { kind, to: 'contacts', subject: '', body: '' };
    case 'webhook':
      return { kind, url: 'https://', text: '' };
    case 'action':
      return { kind, action: { kind: 'set_stage', stage: 'plan_in_place' } };
  }
}

function newAction(kind: PlayAction['kind']): PlayAction {
  switch (kind) {
    case 'set_stage':
      return { kind, stage: 'plan_in_place' };
    case 'add_reason':
    case 'remove_reason':
      return { kind, reason: '' };
    case 'close':
      return { kind, outcome: 'recovered' };
  }
}

function Days({
  label,
  value,
  onChange,
}: {
  label: string;
  value: number;
  onChange: (value: number) => void;
}) {
  return (
    <label>
      {label}
      <input
        type="number"
        min={0}
        max={365}
        value={value}
        onChange={(event) => onChange(Number(event.target.value))}
      />
    </label>
  );
}

/** Where the builder's choices come from: the store's stages, reasons, segments and rules. */
function useChoices() {
  const stages = useStages();
  const reasons = useReasons();
  const segments = useQuery({ queryKey: ['segments'], queryFn: () => api<Items<Segment>>('/segments') });
  const rules = useQuery({
    queryKey: ['rules'],
    queryFn: () => api<Items<DetectionRule>>('/detection/rules'),
  });
  return {
    stages: (stages.data ?? []).map((stage) => ({ value: stage.key, label: stage.name })),
    reasons: (reasons.data ?? []).map((reason) => ({ value: reason.key, label: reason.name })),
    segments: (segments.data?.items ?? []).map((segment) => ({ value: segment.key, label: segment.name })),
    rules: (rules.data?.items ?? []).map((rule) => ({ value: rule.key, label: rule.name })),
  };
}

export function PlayBuilder({
  definition,
  onChange,
}: {
  definition: PlayDefinition;
  onChange: (definition: PlayDefinition) => void;
}) {
  const choices = useChoices();
  const set = (changes: Partial<PlayDefinition>) => onChange({ ...definition, ...changes });
  const setStep = (index: number, step: PlayStep) =>
    set({ steps: definition.steps.map((one, at) => (at === index ? step : one)) });
  const move = (index: number, by: -1 | 1) => {
    const steps = [...definition.steps];
    const [step] = steps.splice(index, 1);
    if (step) steps.splice(index + by, 0, step);
    set({ steps });
  };
  return (
    <div className="builder">
      <fieldset>
        <legend>When</legend>
        <div className="field-row">
          <SelectField
            label="Trigger"
            value={definition.trigger.kind}
            options={Object.entries(TRIGGERS).map(([value, label]) => ({ value, label }))}
            onChange={(kind) => set({ trigger: newTrigger(kind as PlayTrigger['kind']) })}
          />
          <TriggerFields
            trigger={definition.trigger}
            choices={choices}
            onChange={(trigger) => set({ trigger })}
          />
        </div>
        <div className="field-row">
          <label className="grow">
            Only for accounts matching (a segment filter, optional)
            <input
              type="text"
              placeholder='risk.track = "digital" and arr < 5000'
              value={definition.conditions ?? ''}
              onChange={(event) =>
                set({ conditions: event.target.value.trim() === '' ? null : event.target.value })
              }
            />
          </label>
          <label>
            Hold out (% as control group)
            <input
              type="number"
              min={0}
              max={50}
              value={definition.holdoutPercent}
              onChange={(event) => set({ holdoutPercent: Number(event.target.value) })}
            />
          </label>
        </div>
      </fieldset>
      <fieldset>
        <legend>Then</legend>
        <ol className="builder-steps">
          {definition.steps.map((step, index) => (
            <li key={index} className="builder-step">
              <div className="field-row">
                <SelectField
                  label={`Step ${index + 1}`}
                  value={step.kind}
                  options={Object.entries(STEPS).map(([value, label]) => ({ value, label }))}
                  onChange={(kind) => setStep(index, newStep(kind as PlayStep['kind']))}
                />
                <div className="actions">
                  <button
                    type="button"
                    className="small"
                    disabled={index === 0}
                    onClick={() => move(index, -1)}
                    aria-label={`Move step ${index + 1} up`}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    className="small"
                    disabled={index === definition.steps.length - 1}
                    onClick={() => move(index, 1)}
                    aria-label={`Move step ${index + 1} down`}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    className="small"
                    disabled={definition.steps.length === 1}
                    onClick={() => set({ steps: definition.steps.filter((_, at) => at !== index) })}
                    aria-label={`Remove step ${index + 1}`}
                  >
                    Remove
                  </button>
                </div>
              </div>
              <StepFields step={step} choices={choices} onChange={(next) => setStep(index, next)} />
            </li>
          ))}
        </ol>
        <button type="button" onClick={() => set({ steps: [...definition.steps, newStep('task')] })}>
          Add a step
        </button>
      </fieldset>
    </div>
  );
}

type Choices = ReturnType<typeof useChoices>;

function TriggerFields({
  trigger,
  choices,
  onChange,
}: {
  trigger: PlayTrigger;
  choices: Choices;
  onChange: (trigger: PlayTrigger) => void;
}): ReactNode {
  switch (trigger.kind) {
    case 'case_opened':
      return (
        <>
          <SelectField
            label="Opened by"
            value={trigger.source ?? ''}
            options={[
              { value: '', label: 'Anyone' },
              { value: 'rule', label: 'Detection' },
              { value: 'manual', label: 'A person' },
            ]}
            onChange={(source) =>
              onChange({
                kind: 'case_opened',
                reasons: trigger.reasons,
                ...(source && { source: source as 'rule' | 'manual' }),
              })
            }
          />
          <SelectField
            label="With reason"
            value={trigger.reasons?.[0] ?? ''}
            options={[{ value: '', label: 'Any reason' }, ...choices.reasons]}
            onChange={(reason) => onChange({ ...trigger, reasons: reason ? [reason] : undefined })}
          />
        </>
      );
    case 'reason_added':
    case 'touchpoint_logged':
      return trigger.kind === 'reason_added' ? (
        <SelectField
          label="Reason"
          value={trigger.reason}
          options={choices.reasons}
          onChange={(reason) => onChange({ ...trigger, reason })}
        />
      ) : (
        <TextField
          label="Touchpoint reason"
          value={trigger.reason}
          onChange={(reason) => onChange({ ...trigger, reason })}
        />
      );
    case 'stage_changed':
      return (
        <SelectField
          label="To stage"
          value={trigger.to}
          options={choices.stages}
          onChange={(to) => onChange({ ...trigger, to })}
        />
      );
    case 'segment_entered':
    case 'segment_left':
      return (
        <SelectField
          label="Segment"
          value={trigger.segment}
          options={choices.segments}
          onChange={(segment) => onChange({ ...trigger, segment })}
        />
      );
    case 'signal_rule_fired':
      return (
        <SelectField
          label="Rule"
          value={trigger.rule}
          options={choices.rules}
          onChange={(rule) => onChange({ ...trigger, rule })}
        />
      );
    case 'schedule':
      return (
        <Days
          label="Every (days)"
          value={trigger.everyDays}
          onChange={(everyDays) => onChange({ ...trigger, everyDays })}
        />
      );
  }
}

const ASSIGNEES: Option[] = [
  { value: 'account_owner', label: 'The account owner' },
  { value: 'team_lead', label: "The owner's team lead" },
  { value: 'role:csm', label: 'Any CSM' },
  { value: 'role:lead', label: 'Any lead' },
  { value: 'role:admin', label: 'Any admin' },
  { value: 'user', label: 'A named user' },
];

function assigneeValue(assignee: TaskAssignee): string {
  return assignee.kind === 'role' ? `role:${assignee.role}` : assignee.kind;
}

function toAssignee(value: string, current: TaskAssignee): TaskAssignee {
  if (value.startsWith('role:')) return { kind: 'role', role: value.slice(5) as 'admin' | 'lead' | 'csm' };
  if (value === 'user') return { kind: 'user', email: current.kind === 'user' ? current.email : '' };
  return { kind: value as 'account_owner' | 'team_lead' };
}

function StepFields({
  step,
  choices,
  onChange,
}: {
  step: PlayStep;
  choices: Choices;
  onChange: (step: PlayStep) => void;
}): ReactNode {
  switch (step.kind) {
    case 'task':
      return (
        <div className="field-row">
          <TextField label="Title" value={step.title} onChange={(title) => onChange({ ...step, title })} />
          <Days
            label="Due in (days)"
            value={step.dueInDays}
            onChange={(dueInDays) => onChange({ ...step, dueInDays })}
          />
          <SelectField
            label="Assign to"
            value={assigneeValue(step.assignee)}
            options={ASSIGNEES}
            onChange={(value) => onChange({ ...step, assignee: toAssignee(value, step.assignee) })}
          />
          {step.assignee.kind === 'user' && (
            <TextField
              label="User email"
              type="email"
              value={step.assignee.email}
              onChange={(email) => onChange({ ...step, assignee: { kind: 'user', email } })}
            />
          )}
          <TextField
            label="Description"
            long
            value={step.description ?? ''}
            onChange={(description) => onChange({ ...step, description })}
          />
          <SelectField
            label="When done"
            value={step.onComplete?.mode ?? ''}
            options={[
              { value: '', label: 'Nothing more' },
              { value: 'automatic', label: 'Change the case' },
              { value: 'offered', label: 'Offer a case change' },
            ]}
            onChange={(mode) =>
              onChange({
                ...step,
                onComplete:
                  mode === ''
                    ? undefined
                    : {
                        mode: mode as 'automatic' | 'offered',
                        actions: step.onComplete?.actions ?? [newAction('set_stage')],
                      },
              })
            }
          />
          {step.onComplete && (
            <ActionFields
              action={step.onComplete.actions[0] ?? newAction('set_stage')}
              choices={choices}
              onChange={(action) =>
                onChange({ ...step, onComplete: { ...step.onComplete!, actions: [action] } })
              }
            />
          )}
          <label className="check">
            <input
              type="checkbox"
              checked={step.waitForCompletion ?? false}
              onChange={(event) => onChange({ ...step, waitForCompletion: event.target.checked })}
            />
            Wait until it is done
          </label>
        </div>
      );
    case 'wait':
      return <Days label="Days" value={step.days} onChange={(days) => onChange({ ...step, days })} />;
    case 'wait_until':
      return (
        <div className="field-row">
          <TextField
            label="Condition (segment filter)"
            value={step.condition}
            onChange={(condition) => onChange({ ...step, condition })}
          />
          <Days
            label="Give up after (days)"
            value={step.timeoutDays}
            onChange={(timeoutDays) => onChange({ ...step, timeoutDays })}
          />
        </div>
      );
    case 'email':
      return (
        <div className="field-row">
          <SelectField
            label="To"
            value={step.to}
            options={[
              { value: 'contacts', label: 'Every contact' },
              { value: 'champion', label: 'The champion' },
              { value: 'owner', label: 'The account owner' },
            ]}
            onChange={(to) => onChange({ ...step, to: to as 'contacts' | 'champion' | 'owner' })}
          />
          <TextField
            label="Subject"
            value={step.subject}
            onChange={(subject) => onChange({ ...step, subject })}
          />
          <TextField
            label="Body ({{account.name}}, {{contact.name}} …)"
            long
            value={step.body}
            onChange={(body) => onChange({ ...step, body })}
          />
        </div>
      );
    case 'webhook':
      return (
        <div className="field-row">
          <TextField label="URL" type="url" value={step.url} onChange={(url) => onChange({ ...step, url })} />
          <TextField
            label="Message"
            long
            value={step.text}
            onChange={(text) => onChange({ ...step, text })}
          />
        </div>
      );
    case 'action':
      return (
        <ActionFields
          action={step.action}
          choices={choices}
          onChange={(action) => onChange({ ...step, action })}
        />
      );
  }
}

function ActionFields({
  action,
  choices,
  onChange,
}: {
  action: PlayAction;
  choices: Choices;
  onChange: (action: PlayAction) => void;
}) {
  return (
    <>
      <SelectField
        label="Case change"
        value={action.kind}
        options={[
          { value: 'set_stage', label: 'Set the stage' },
          { value: 'add_reason', label: 'Add a reason' },
          { value: 'remove_reason', label: 'Remove a reason' },
          { value: 'close', label: 'Close the case' },
        ]}
        onChange={(kind) => onChange(newAction(kind as PlayAction['kind']))}
      />
      {action.kind === 'set_stage' && (
        <SelectField
          label="Stage"
          value={action.stage}
          options={choices.stages}
          onChange={(stage) => onChange({ ...action, stage })}
        />
      )}
      {(action.kind === 'add_reason' || action.kind === 'remove_reason') && (
        <SelectField
          label="Reason"
          value={action.reason}
          options={choices.reasons}
          onChange={(reason) => onChange({ ...action, reason })}
        />
      )}
      {action.kind === 'close' && (
        <SelectField
          label="Outcome"
          value={action.outcome}
          options={[
            { value: 'recovered', label: 'Recovered' },
            { value: 'lost', label: 'Lost' },
          ]}
          onChange={(outcome) => onChange({ ...action, outcome: outcome as 'recovered' | 'lost' })}
        />
      )}
    </>
  );
}
