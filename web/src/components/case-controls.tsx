// Changing a case where it is shown: its stage, its reasons. Disabled for those who may not.
import { useState, type FormEvent } from 'react';
import { useMoveStage, useReasons, useSetReasons, useStages } from '../api/hooks';
import type { RiskCase } from '../api/types';
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

/** The reasons as chips, with an editor (a disclosure with one checkbox per reason). */
export function ReasonsEditor({ riskCase }: { riskCase: RiskCase }) {
  const reasons = useReasons();
  const setReasons = useSetReasons();
  const mayChange = useMayChange(riskCase);
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState<string[]>([]);

  const start = () => {
    setChosen(riskCase.reasons.map((reason) => reason.key));
    setReasons.reset();
    setOpen(true);
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    setReasons.mutate(
      { id: riskCase.id, reasons: chosen, version: riskCase.version },
      { onSuccess: () => setOpen(false) },
    );
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
            if (event.key === 'Escape') setOpen(false);
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
          <ActionError error={setReasons.error} />
          <div className="actions">
            <button
              type="submit"
              className="primary small"
              disabled={chosen.length === 0 || setReasons.isPending}
            >
              Save reasons
            </button>
            <button type="button" className="small" onClick={() => setOpen(false)}>
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
