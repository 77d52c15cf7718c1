// Settings → Stages: the stages a risk case moves through, in order. An admin renames a stage,
// retires it, adds one, and moves stages up or down; the closed stages always come last.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { useStages } from '../../api/hooks';
import type { Items, Stage } from '../../api/types';
import { SelectField, TextField } from '../../components/fields';
import { Queried } from '../../components/queried';
import { ActionError } from '../../components/states';
import './settings.css';

const OUTCOME_NAMES = { recovered: 'recovered', lost: 'lost' } as const;

/** A stage key from its name: "Executive escalation" gives executive_escalation. */
function keyFromName(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
}

function StageRow({
  stage,
  index,
  canMoveUp,
  canMoveDown,
  move,
  moving,
}: {
  stage: Stage;
  index: number;
  canMoveUp: boolean;
  canMoveDown: boolean;
  move: (direction: -1 | 1) => void;
  moving: boolean;
}) {
  const client = useQueryClient();
  const [name, setName] = useState(stage.name);
  const update = useMutation({
    mutationFn: (changes: { name?: string; active?: boolean }) =>
      api(`/risk-stages/${stage.key}`, { method: 'PATCH', body: changes }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['stages'] }),
  });
  return (
    <li>
      <span className="position" aria-hidden="true">
        {index + 1}.
      </span>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          update.mutate({ name });
        }}
      >
        <input
          required
          aria-label={`Name of stage ${stage.key}`}
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        {stage.isEnd && <span className="tag">Closes the case as {stage.outcome}</span>}
        <button type="submit" className="small" disabled={name === stage.name || update.isPending}>
          Rename
        </button>
        <label className="check">
          <input
            type="checkbox"
            checked={stage.active}
            onChange={() => update.mutate({ active: !stage.active })}
          />
          In use
        </label>
        <button
          type="button"
          className="small"
          aria-label={`Move ${stage.name} up`}
          disabled={!canMoveUp || moving}
          onClick={() => move(-1)}
        >
          ↑
        </button>
        <button
          type="button"
          className="small"
          aria-label={`Move ${stage.name} down`}
          disabled={!canMoveDown || moving}
          onClick={() => move(1)}
        >
          ↓
        </button>
      </form>
      <ActionError error={update.error} />
    </li>
  );
}

function AddStage() {
  const client = useQueryClient();
  const empty = { name: '', key: '', closes: '' };
  const [draft, setDraft] = useState(empty);
  const [keyEdited, setKeyEdited] = useState(false);
  const key = keyEdited ? draft.key : keyFromName(draft.name);
  const create = useMutation({
    mutationFn: () =>
      api<Stage>('/risk-stages', {
        method: 'POST',
        body: {
          key,
          name: draft.name,
          isEnd: draft.closes !== '',
          outcome: draft.closes === '' ? null : draft.closes,
        },
      }),
    onSuccess: () => {
      setDraft(empty);
      setKeyEdited(false);
      void client.invalidateQueries({ queryKey: ['stages'] });
    },
  });
  return (
    <>
      <h3>Add a stage</h3>
      <form
        className="inline-form"
        aria-label="Add a stage"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <TextField
          label="Stage name"
          required
          value={draft.name}
          onChange={(name) => setDraft({ ...draft, name })}
        />
        <TextField
          label="Key (for imports and the API)"
          required
          pattern="[a-z0-9_]{1,64}"
          value={key}
          onChange={(value) => {
            setKeyEdited(true);
            setDraft({ ...draft, key: value });
          }}
        />
        <SelectField
          label="Closes the case"
          value={draft.closes}
          options={[
            { value: '', label: 'No: cases are worked in it' },
            { value: 'recovered', label: `Yes, as ${OUTCOME_NAMES.recovered}` },
            { value: 'lost', label: `Yes, as ${OUTCOME_NAMES.lost}` },
          ]}
          onChange={(closes) => setDraft({ ...draft, closes })}
        />
        <button type="submit" disabled={create.isPending}>
          Add stage
        </button>
      </form>
      <p className="small muted">
        A new open stage goes after the open stages, a closing one at the end; move it where it belongs.
      </p>
      <ActionError error={create.error} />
    </>
  );
}

/** The stages in order, each renamed, retired and moved in place, and a form to add one. */
export function Stages() {
  const stages = useStages();
  const client = useQueryClient();
  const reorder = useMutation({
    mutationFn: (keys: string[]) =>
      api<Items<Stage>>('/risk-stages/order', { method: 'PUT', body: { keys } }),
    onSuccess: (result) => {
      client.setQueryData(['stages'], result.items);
      void client.invalidateQueries({ queryKey: ['stages'] });
    },
  });
  return (
    <section className="card">
      <h2>Stages</h2>
      <Queried query={stages}>
        {(data) => {
          const move = (index: number, direction: -1 | 1) => {
            const keys = data.map((stage) => stage.key);
            const other = index + direction;
            const here = keys[index];
            const there = keys[other];
            if (here === undefined || there === undefined) return;
            keys[index] = there;
            keys[other] = here;
            reorder.mutate(keys);
          };
          // A stage moves among its kind: open stages above, closed stages below.
          const sameKind = (index: number, other: number) => data[other]?.isEnd === data[index]?.isEnd;
          return (
            <ol className="plain stage-list" aria-label="Stages in order">
              {data.map((stage, index) => (
                <StageRow
                  key={`${stage.key}-${stage.name}`}
                  stage={stage}
                  index={index}
                  canMoveUp={index > 0 && sameKind(index, index - 1)}
                  canMoveDown={index < data.length - 1 && sameKind(index, index + 1)}
                  move={(direction) => move(index, direction)}
                  moving={reorder.isPending}
                />
              ))}
            </ol>
          );
        }}
      </Queried>
      <ActionError error={reorder.error} />
      <p className="muted small">
        Renaming keeps every case and its history; a retired stage stays on the cases already in it. New cases
        start in the first open stage in use.
      </p>
      <AddStage />
    </section>
  );
}
