// Changing a case where it is shown: its stage, its reasons. Disabled for those who may not.
import { useState, type FormEvent } from 'react';
import { useMoveStage, useReasons, useSetReasons, useStages } from '../api/hooks';
import { api, ApiError } from '../api/client';
import type { RiskCase, RiskCaseDetail } from '../api/types';
import { useCan } from '../session';
import { ActionError } from './states';

export function useMayChange(riskCase: RiskCase): boolean {
  const can = useCan();
  return can('case.write', { ownerId: riskCase.account.ownerId, teamId: riskCase.account.teamId });
}

export function StageSelect({ riskCase }: { riskCase: RiskCase }) {
  const stages = useStages();
  const move = useMoveStage();
  const mayChange = useMayChange(riskCase);
  const options = (stages.data ?? []).filter((stage) => stage.active || stage.key === riskCase.stage.key);
  return (
    <div className="inline-control">
      <select
        aria-label={`Stage of ${riskCase.account.name}`}
        value={riskCase.stage.key}
        disabled={!mayChange || move.isPending}
        title={mayChange ? undefined : 'Only the owner, their team lead or an admin may change this case'}
        onChange={(event) =>
          move.mutate({ id: riskCase.id, stage: event.target.value, version: riskCase.version })
        }
      >
        {options.length === 0 && <option value={riskCase.stage.key}>{riskCase.stage.name}</option>}
        {options.map((stage) => (
          <option key={stage.key} value={stage.key}>
            {stage.name}
          </option>
        ))}
      </select>
      <ActionError error={move.error} />
    </div>
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
