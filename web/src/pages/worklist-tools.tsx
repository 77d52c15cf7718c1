// The worklist's tools for the day: whose cases it shows (My cases / My team / All), saved views,
// and bulk changes on the selected rows, answered row by row.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { useReasons, useStages, useUsers } from '../api/hooks';
import type { BulkRowResult, Items, User, WorklistFilters, WorklistScope, WorklistView } from '../api/types';
import { SelectField } from '../components/fields';
import { ActionError } from '../components/states';

export const SCOPE_NAMES: Record<WorklistScope, string> = {
  mine: 'My cases',
  team: 'My team',
  all: 'All',
};

/** Where each role starts: a CSM on their own cases, a lead on their team, others on everything. */
export function defaultScope(user: User): WorklistScope {
  if (user.role === 'csm') return 'mine';
  if (user.role === 'lead' && user.teamId !== null) return 'team';
  return 'all';
}

/** The scopes a user can choose: "My team" needs a team. */
export function scopesOf(user: User): WorklistScope[] {
  return user.teamId === null ? ['mine', 'all'] : ['mine', 'team', 'all'];
}

export function ScopeSwitch({
  user,
  scope,
  onChange,
}: {
  user: User;
  scope: WorklistScope;
  onChange: (scope: WorklistScope) => void;
}) {
  // The address changes in a transition; the choice shows at once, until the address has it.
  const [picked, setPicked] = useState<{ over: WorklistScope; value: WorklistScope } | null>(null);
  const shown = picked !== null && picked.over === scope ? picked.value : scope;
  return (
    <fieldset className="scope-switch">
      <legend>Show</legend>
      {scopesOf(user).map((option) => (
        <label key={option} className={option === shown ? 'chosen' : undefined}>
          <input
            type="radio"
            name="worklist-scope"
            value={option}
            checked={option === shown}
            onChange={() => {
              setPicked({ over: scope, value: option });
              onChange(option);
            }}
          />
          {SCOPE_NAMES[option]}
        </label>
      ))}
    </fieldset>
  );
}

/** What the worklist shows, as a view keeps it. */
export interface WorklistShape {
  scope: WorklistScope;
  filters: WorklistFilters;
  sort: WorklistView['sort'];
  order: 'asc' | 'desc' | null;
}

const VIEWS_KEY = ['worklist-views'];

export function SavedViews({
  user,
  current,
  chosenId,
  onPick,
  onChosen,
}: {
  user: User;
  current: WorklistShape;
  chosenId: number | null;
  onPick: (view: WorklistView) => void;
  onChosen: (id: number | null) => void;
}) {
  const client = useQueryClient();
  const views = useQuery({
    queryKey: VIEWS_KEY,
    queryFn: () => api<Items<WorklistView>>('/worklist-views').then((data) => data.items),
  });
  const [mode, setMode] = useState<'idle' | 'save' | 'rename'>('idle');
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const chosen = views.data?.find((view) => view.id === chosenId) ?? null;
  const refresh = () => client.invalidateQueries({ queryKey: VIEWS_KEY });

  const save = useMutation({
    mutationFn: () =>
      api<WorklistView>('/worklist-views', { method: 'POST', body: { ...current, name, shared } }),
    onSuccess: async (view) => {
      await refresh();
      setMode('idle');
      onChosen(view.id);
    },
  });
  const rename = useMutation({
    mutationFn: (id: number) =>
      api<WorklistView>(`/worklist-views/${id}`, { method: 'PATCH', body: { name, shared } }),
    onSuccess: async () => {
      await refresh();
      setMode('idle');
    },
  });
  const remove = useMutation({
    mutationFn: (id: number) => api<undefined>(`/worklist-views/${id}`, { method: 'DELETE' }),
    onSuccess: async () => {
      onChosen(null);
      await refresh();
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (mode === 'rename' && chosen) rename.mutate(chosen.id);
    else save.mutate();
  };

  return (
    <div className="saved-views">
      <SelectField
        label="Saved view"
        value={chosen ? String(chosen.id) : ''}
        anyLabel={views.isPending ? 'Loading views…' : 'None'}
        options={(views.data ?? []).map((view) => ({
          value: String(view.id),
          label: view.mine ? view.name : `${view.name} (shared by ${view.ownerName})`,
        }))}
        onChange={(value) => {
          const view = views.data?.find((candidate) => String(candidate.id) === value);
          if (view) onPick(view);
          else onChosen(null);
        }}
      />
      {mode === 'idle' ? (
        <div className="actions">
          <button
            type="button"
            onClick={() => {
              setName('');
              setShared(false);
              setMode('save');
            }}
          >
            Save view
          </button>
          {chosen?.mine && (
            <>
              <button
                type="button"
                onClick={() => {
                  setName(chosen.name);
                  setShared(chosen.shared);
                  setMode('rename');
                }}
              >
                Rename
              </button>
              <button
                type="button"
                disabled={remove.isPending}
                onClick={() => {
                  if (window.confirm(`Delete the view "${chosen.name}"?`)) remove.mutate(chosen.id);
                }}
              >
                Delete view
              </button>
            </>
          )}
        </div>
      ) : (
        <form
          className="actions"
          aria-label={mode === 'save' ? 'Save this view' : 'Rename the view'}
          onSubmit={submit}
        >
          <label>
            View name
            <input value={name} maxLength={100} required onChange={(event) => setName(event.target.value)} />
          </label>
          {user.teamId !== null && (
            <label className="check">
              <input type="checkbox" checked={shared} onChange={(event) => setShared(event.target.checked)} />
              Share with my team
            </label>
          )}
          <button type="submit" className="primary" disabled={save.isPending || rename.isPending}>
            {mode === 'save' ? 'Save' : 'Save name'}
          </button>
          <button type="button" onClick={() => setMode('idle')}>
            Cancel
          </button>
        </form>
      )}
      <ActionError error={save.error ?? rename.error ?? remove.error} />
    </div>
  );
}

type BulkAction = 'move_stage' | 'assign_owner' | 'add_reason';

const ACTION_NAMES: Record<BulkAction, string> = {
  move_stage: 'Move to stage',
  assign_owner: 'Assign owner',
  add_reason: 'Add reason',
};

const DONE_WORDS: Record<BulkAction, string> = {
  move_stage: 'moved',
  assign_owner: 'assigned',
  add_reason: 'updated',
};

export interface BulkOutcome {
  results: Map<number, BulkRowResult>;
  summary: string;
}

/** The bar over the table when rows are selected: one change, applied case by case. */
export function BulkBar({
  user,
  selected,
  onDone,
  onClear,
}: {
  user: User;
  /** Case id -> the version on screen when it was selected. */
  selected: ReadonlyMap<number, number>;
  onDone: (outcome: BulkOutcome) => void;
  onClear: () => void;
}) {
  const client = useQueryClient();
  const stages = useStages();
  const reasons = useReasons();
  const users = useUsers();
  const [action, setAction] = useState<BulkAction>('move_stage');
  const [target, setTarget] = useState('');

  const options =
    action === 'move_stage'
      ? (stages.data ?? [])
          .filter((stage) => !stage.isEnd && stage.active)
          .map((stage) => ({ value: stage.key, label: stage.name }))
      : action === 'add_reason'
        ? (reasons.data ?? [])
            .filter((reason) => reason.active)
            .map((reason) => ({ value: reason.key, label: reason.name }))
        : (users.data ?? [])
            .filter(
              (candidate) =>
                (candidate.role === 'csm' || candidate.role === 'lead') &&
                candidate.active &&
                (user.role === 'admin' || candidate.teamId === user.teamId),
            )
            .map((candidate) => ({ value: String(candidate.id), label: candidate.name }));

  const apply = useMutation({
    mutationFn: () => {
      const cases = [...selected].map(([id, version]) => ({ id, version }));
      const body =
        action === 'move_stage'
          ? { action, cases, stage: target }
          : action === 'add_reason'
            ? { action, cases, reason: target }
            : { action, cases, ownerId: Number(target) };
      return api<{ results: BulkRowResult[] }>('/risk-cases/bulk', { method: 'POST', body });
    },
    onSuccess: ({ results }) => {
      const done = results.filter((result) => result.ok).length;
      const refused = results.length - done;
      onDone({
        results: new Map(results.map((result) => [result.caseId, result])),
        summary: `${done} ${DONE_WORDS[action]}, ${refused} refused`,
      });
      for (const key of ['risk-cases', 'matrix', 'huddle', 'account', 'tasks'])
        void client.invalidateQueries({ queryKey: [key] });
    },
  });

  return (
    <form
      className="bulk-bar"
      aria-label="Change the selected cases"
      onSubmit={(event) => {
        event.preventDefault();
        if (target !== '') apply.mutate();
      }}
    >
      <strong>{selected.size.toLocaleString('en-US')} selected</strong>
      <SelectField
        label="Change"
        value={action}
        options={Object.entries(ACTION_NAMES).map(([value, label]) => ({ value, label }))}
        onChange={(value) => {
          setAction(value as BulkAction);
          setTarget('');
        }}
      />
      <SelectField
        label={action === 'assign_owner' ? 'New owner' : action === 'add_reason' ? 'Reason' : 'New stage'}
        value={target}
        anyLabel="Choose…"
        options={options}
        onChange={setTarget}
      />
      <button type="submit" className="primary" disabled={target === '' || apply.isPending}>
        {apply.isPending ? 'Applying…' : 'Apply'}
      </button>
      <button type="button" onClick={onClear}>
        Clear selection
      </button>
      {action === 'move_stage' && (
        <p className="muted small">
          Closing stages are not offered here: a case closes one by one, with its closing note and survey.
        </p>
      )}
      <ActionError error={apply.error} />
    </form>
  );
}
