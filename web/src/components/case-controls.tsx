// Changing a case where it is shown: its stage (closing it with a note and, for a loss, the
// separation survey), its reasons. Disabled for those who may not.
import { useState, type FormEvent } from 'react';
import { useCaseChanged, useReasons, useSetReasons, useStages } from '../api/hooks';
import { api, ApiError } from '../api/client';
import type { RiskCase, RiskCaseDetail, Stage as RiskStage } from '../api/types';
import { useCan } from '../session';
import { SelectField } from './fields';
import { ConflictNotice, useGuardedChange } from './guarded-change';
import { ActionError } from './states';

export function useMayChange(riskCase: RiskCase): boolean {
  const can = useCan();
  return can('case.write', { ownerId: riskCase.account.ownerId, teamId: riskCase.account.teamId });
}

export function StageSelect({ riskCase }: { riskCase: RiskCase }) {
  const stages = useStages();
  const reasons = useReasons();
  const changed = useCaseChanged();
  const mayChange = useMayChange(riskCase);
  const [closing, setClosing] = useState<RiskStage | null>(null);
  const [seen, setSeen] = useState<RiskCase>(riskCase);
  const all = stages.data ?? [];
  const options = all.filter((stage) => stage.active || stage.key === riskCase.stage.key);
  const nameOf = (key: string) => all.find((stage) => stage.key === key)?.name ?? key;
  const move = useGuardedChange<RiskCaseDetail | RiskCase, StageMove>({
    part: (record) => ({ stage: record.stage.key }),
    same: (a, b) => a.stage === b.stage,
    write: (mine, version) =>
      api<RiskCaseDetail>(`/risk-cases/${riskCase.id}/stage`, { method: 'POST', body: { ...mine, version } }),
    read: () => api<RiskCaseDetail>(`/risk-cases/${riskCase.id}`),
    saved: (record) => {
      if ('stageHistory' in record) changed(record);
      setClosing(null);
    },
  });
  const choose = (key: string) => {
    const stage = all.find((candidate) => candidate.key === key);
    if (!stage) return;
    // Closing a case ends the work on it: it is confirmed, with a note, and a loss with the
    // customer's own reasons (the separation survey).
    if (stage.isEnd) {
      setSeen(riskCase);
      setClosing(stage);
    } else move.send({ stage: key }, riskCase);
  };
  return (
    <div className="inline-control">
      <select
        aria-label={`Stage of ${riskCase.account.name}`}
        value={closing?.key ?? riskCase.stage.key}
        disabled={!mayChange || move.pending}
        title={mayChange ? undefined : 'Only the owner, their team lead or an admin may change this case'}
        onChange={(event) => choose(event.target.value)}
      >
        {options.length === 0 && <option value={riskCase.stage.key}>{riskCase.stage.name}</option>}
        {options.map((stage) => (
          <option key={stage.key} value={stage.key}>
            {stage.name}
          </option>
        ))}
      </select>
      {closing && (
        <CloseCaseForm
          riskCase={riskCase}
          stage={closing}
          reasons={(reasons.data ?? []).filter((reason) => reason.active)}
          pending={move.pending}
          onCancel={() => setClosing(null)}
          onClose={(details) => move.send({ stage: closing.key, ...details }, seen)}
        />
      )}
      {move.conflict ? (
        <ConflictNotice
          what="stage"
          conflict={move.conflict}
          describe={(value) => nameOf(value.stage)}
          pending={move.pending}
          onSaveMine={move.saveMine}
          onKeepTheirs={move.keepTheirs}
        />
      ) : (
        <ActionError error={move.error} />
      )}
    </div>
  );
}

interface StageMove {
  stage: string;
  note?: string;
  survey?: {
    primaryReason: string;
    wouldReturn: boolean | null;
    competitor: string | null;
    comments: string | null;
  };
}

/** Confirms closing a case: a note for every closing, and for a loss the separation survey. */
function CloseCaseForm({
  riskCase,
  stage,
  reasons,
  pending,
  onCancel,
  onClose,
}: {
  riskCase: RiskCase;
  stage: RiskStage;
  reasons: { key: string; name: string }[];
  pending: boolean;
  onCancel: () => void;
  onClose: (details: Omit<StageMove, 'stage'>) => void;
}) {
  const lost = stage.outcome === 'lost';
  const [note, setNote] = useState('');
  const [primaryReason, setPrimaryReason] = useState(riskCase.reasons[0]?.key ?? '');
  const [wouldReturn, setWouldReturn] = useState('');
  const [competitor, setCompetitor] = useState('');
  const [comments, setComments] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onClose({
      note: note.trim() || undefined,
      ...(lost && {
        survey: {
          primaryReason,
          wouldReturn: wouldReturn === '' ? null : wouldReturn === 'yes',
          competitor: competitor.trim() || null,
          comments: comments.trim() || null,
        },
      }),
    });
  };
  return (
    <form
      className="popover close-case"
      aria-label={`Close the case of ${riskCase.account.name}`}
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onCancel();
      }}
    >
      <p>
        <strong>Close the case as {stage.name}?</strong>{' '}
        {lost
          ? 'The account counts as churned from today, in the reports and the churn analysis.'
          : 'The account counts as saved from today.'}
      </p>
      <label>
        {lost ? 'What happened (loss note)' : 'How it was saved'}
        <textarea
          required={lost}
          rows={3}
          autoFocus
          value={note}
          onChange={(event) => setNote(event.target.value)}
        />
      </label>
      {lost && (
        <fieldset>
          <legend>Separation survey: what the customer said</legend>
          <label>
            Main reason they gave
            <select required value={primaryReason} onChange={(event) => setPrimaryReason(event.target.value)}>
              <option value="" disabled>
                Choose a reason
              </option>
              {reasons.map((reason) => (
                <option key={reason.key} value={reason.key}>
                  {reason.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Would they come back?
            <select value={wouldReturn} onChange={(event) => setWouldReturn(event.target.value)}>
              <option value="">Did not say</option>
              <option value="yes">Yes</option>
              <option value="no">No</option>
            </select>
          </label>
          <label>
            Leaving for (competitor)
            <input
              value={competitor}
              maxLength={200}
              onChange={(event) => setCompetitor(event.target.value)}
            />
          </label>
          <label>
            Their words
            <textarea rows={2} value={comments} onChange={(event) => setComments(event.target.value)} />
          </label>
        </fieldset>
      )}
      <div className="actions">
        <button type="submit" className="primary small" disabled={pending}>
          Close as {stage.name}
        </button>
        <button type="button" className="small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function ReasonChips({ riskCase }: { riskCase: RiskCase }) {
  return (
    <ul className="chips" aria-label="Reasons">
      {riskCase.reasons.map((reason) => (
        <li key={reason.key} className="chip">
          {reason.name}
        </li>
      ))}
    </ul>
  );
}

const added = (from: readonly string[], to: readonly string[]) => to.filter((key) => !from.includes(key));

/**
 * The reasons as chips, with an editor (a disclosure with one checkbox per reason). A save is made
 * against the reasons the editor opened with: when someone else changed them meanwhile, the save
 * is refused, the editor says what they changed, and both changes can be saved together.
 */
export function ReasonsEditor({ riskCase }: { riskCase: RiskCase }) {
  const reasons = useReasons();
  const setReasons = useSetReasons();
  const mayChange = useMayChange(riskCase);
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState<string[]>([]);
  const [base, setBase] = useState<{ version: number; reasons: string[] } | null>(null);
  const [conflict, setConflict] = useState<{ version: number; reasons: string[] } | null>(null);
  const nameOf = (key: string) => reasons.data?.find((reason) => reason.key === key)?.name ?? key;
  const names = (keys: readonly string[]) => keys.map(nameOf).join(', ');

  const start = () => {
    const keys = riskCase.reasons.map((reason) => reason.key);
    setChosen(keys);
    setBase({ version: riskCase.version, reasons: keys });
    setConflict(null);
    setReasons.reset();
    setOpen(true);
  };
  const close = () => {
    setOpen(false);
    setConflict(null);
  };
  const send = (keys: string[], version: number | undefined) =>
    setReasons.mutate(
      { id: riskCase.id, reasons: keys, version },
      {
        onSuccess: close,
        onError: (error) => {
          // Someone changed the case meanwhile: read it as it is now, to show what they changed.
          if (!(error instanceof ApiError) || error.code !== 'VERSION_CONFLICT') return;
          void api<RiskCaseDetail>(`/risk-cases/${riskCase.id}`).then((current) => {
            const now = current.reasons.map((reason) => reason.key);
            // The case moved on in another way (its stage, say): its reasons are as opened, so this
            // save undoes nothing and goes ahead at the new version.
            const same =
              base !== null &&
              now.length === base.reasons.length &&
              now.every((key) => base.reasons.includes(key));
            if (same && version !== current.version) {
              setBase({ version: current.version, reasons: now });
              send(keys, current.version);
            } else setConflict({ version: current.version, reasons: now });
          });
        },
      },
    );
  const save = (event: FormEvent) => {
    event.preventDefault();
    send(chosen, base?.version ?? riskCase.version);
  };
  /** Their change and mine, together: what they have now, plus what I added, less what I removed. */
  const merged = (): string[] => {
    if (!conflict || !base) return [];
    const mineAdded = added(base.reasons, chosen);
    const mineRemoved = added(chosen, base.reasons);
    return [...new Set([...conflict.reasons, ...mineAdded])].filter((key) => !mineRemoved.includes(key));
  };
  const saveBoth = () => {
    if (!conflict) return;
    const both = merged();
    setChosen(both);
    setBase(conflict);
    send(both, conflict.version);
  };
  const toggle = (key: string) =>
    setChosen((current) =>
      current.includes(key) ? current.filter((one) => one !== key) : [...current, key],
    );

  return (
    <div className="reasons-editor">
      <ReasonChips riskCase={riskCase} />
      {mayChange && !open && (
        <button
          type="button"
          className="link-button small"
          onClick={start}
          aria-label={`Edit reasons of ${riskCase.account.name}`}
        >
          Edit
        </button>
      )}
      {open && (
        <form
          className="popover"
          onSubmit={save}
          aria-label={`Reasons of ${riskCase.account.name}`}
          onKeyDown={(event) => {
            if (event.key === 'Escape') close();
          }}
        >
          <fieldset>
            <legend>Reasons</legend>
            {(reasons.data ?? [])
              .filter((reason) => reason.active || chosen.includes(reason.key))
              .map((reason, index) => (
                <label key={reason.key} className="check">
                  <input
                    type="checkbox"
                    // Focus moves into the editor as it opens; Escape closes it.
                    autoFocus={index === 0}
                    checked={chosen.includes(reason.key)}
                    onChange={() => toggle(reason.key)}
                  />
                  {reason.name}
                </label>
              ))}
          </fieldset>
          {conflict && base ? (
            <div className="notice warn" role="alert">
              <p>Someone changed these reasons while you were editing.</p>
              <ul>
                {added(base.reasons, conflict.reasons).length > 0 && (
                  <li>Added: {names(added(base.reasons, conflict.reasons))}</li>
                )}
                {added(conflict.reasons, base.reasons).length > 0 && (
                  <li>Removed: {names(added(conflict.reasons, base.reasons))}</li>
                )}
                <li>
                  Your change:{' '}
                  {[
                    added(base.reasons, chosen).length > 0
                      ? `added ${names(added(base.reasons, chosen))}`
                      : '',
                    added(chosen, base.reasons).length > 0
                      ? `removed ${names(added(chosen, base.reasons))}`
                      : '',
                  ]
                    .filter(Boolean)
                    .join('; ') || 'none'}
                </li>
              </ul>
              <div className="actions">
                <button
                  type="button"
                  className="primary small"
                  disabled={setReasons.isPending || merged().length === 0}
                  title={
                    merged().length === 0
                      ? 'Together the changes leave no reason; a case needs one'
                      : undefined
                  }
                  onClick={saveBoth}
                >
                  Save both changes
                </button>
                <button type="button" className="small" onClick={close}>
                  Keep theirs
                </button>
              </div>
            </div>
          ) : (
            <ActionError error={setReasons.error} />
          )}
          <div className="actions">
            <button
              type="submit"
              className="primary small"
              disabled={chosen.length === 0 || setReasons.isPending || conflict !== null}
            >
              Save reasons
            </button>
            <button type="button" className="small" onClick={close}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

export function HealthBadge({ health }: { health: { score: number; band: string } | null }) {
  if (!health) return <span className="muted">no score</span>;
  return (
    <span className={`band band-${health.band.toLowerCase().replace(/\W+/g, '-')}`}>
      {health.score} <span className="band-name">{health.band}</span>
    </span>
  );
}

const MATRIX_CHOICES = {
  expected: { label: 'Expected?', yes: 'Expected', no: 'Unexpected' },
  avoidable: { label: 'Avoidable?', yes: 'Avoidable', no: 'Unavoidable' },
} as const;

/** One axis of the At-Risk Matrix (expected, avoidable), saved against what the user saw of it. */
export function MatrixChoice({
  riskCase,
  field,
}: {
  riskCase: RiskCaseDetail;
  field: 'expected' | 'avoidable';
}) {
  const changed = useCaseChanged();
  const mayChange = useMayChange(riskCase);
  const words = MATRIX_CHOICES[field];
  const change = useGuardedChange<RiskCaseDetail, boolean | null>({
    part: (record) => record.matrix[field],
    write: (mine, version) =>
      api<RiskCaseDetail>(`/risk-cases/${riskCase.id}`, {
        method: 'PATCH',
        body: { [field]: mine, version },
      }),
    read: () => api<RiskCaseDetail>(`/risk-cases/${riskCase.id}`),
    saved: changed,
  });
  const describe = (value: boolean | null) => (value === null ? 'not decided' : value ? words.yes : words.no);
  return (
    <div>
      <SelectField
        label={words.label}
        value={riskCase.matrix[field] === null ? '' : riskCase.matrix[field] ? 'yes' : 'no'}
        disabled={!mayChange || change.pending}
        options={[
          { value: 'yes', label: words.yes },
          { value: 'no', label: words.no },
        ]}
        anyLabel="Not decided"
        onChange={(value) => change.send(value === '' ? null : value === 'yes', riskCase)}
      />
      {change.conflict ? (
        <ConflictNotice
          what={`answer to “${words.label}”`}
          conflict={change.conflict}
          describe={describe}
          pending={change.pending}
          onSaveMine={change.saveMine}
          onKeepTheirs={change.keepTheirs}
        />
      ) : (
        <ActionError error={change.error} />
      )}
    </div>
  );
}

/** What the customer said on leaving, on a case closed as lost. */
export function SeparationSurveyView({ riskCase }: { riskCase: RiskCaseDetail }) {
  const reasons = useReasons();
  const survey = riskCase.separationSurvey;
  if (!survey) return null;
  const reason = (reasons.data ?? []).find((one) => one.key === survey.primaryReason);
  return (
    <>
      <h3>Separation survey</h3>
      <dl className="facts">
        <div>
          <dt>Main reason they gave</dt>
          <dd>{reason?.name ?? survey.primaryReason}</dd>
        </div>
        <div>
          <dt>Would come back</dt>
          <dd>{survey.wouldReturn == null ? 'did not say' : survey.wouldReturn ? 'yes' : 'no'}</dd>
        </div>
        {survey.competitor && (
          <div>
            <dt>Leaving for</dt>
            <dd>{survey.competitor}</dd>
          </div>
        )}
      </dl>
      {survey.comments && <blockquote>{survey.comments}</blockquote>}
    </>
  );
}
