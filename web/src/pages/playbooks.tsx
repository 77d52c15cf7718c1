// Playbooks: every play with its trigger and steps, on/off, a dry run of who would enter now, the
// treated-vs-holdout verdict, and (for admins) the definition editor.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError } from '../api/client';
import type { DryRun, EffectivenessReport, Items, Play, PlayDefinition } from '../api/types';
import { NEW_PLAY, PlayBuilder } from '../components/play-builder';
import { usePlayWords } from '../components/play-words';
import { Queried } from '../components/queried';
import { ActionError, Empty, ErrorState, Loading } from '../components/states';
import { humanize } from '../format';
import { useUser } from '../session';

export default function PlaybooksPage() {
  const user = useUser();
  // `?new=1&segment=<key>` (from a segment's page) opens a new play triggered by entering that segment.
  const [params, setParams] = useSearchParams();
  const fromSegment = params.get('segment');
  const [creating, setCreating] = useState(user.role === 'admin' && params.get('new') === '1');
  const plays = useQuery({ queryKey: ['plays'], queryFn: () => api<Items<Play>>('/plays') });
  return (
    <section className="page">
      <div className="page-head">
        <h1>Playbooks</h1>
        <p className="muted">
          Plays fire on triggers and create tasks, send email and webhooks or change the case. See your{' '}
          <Link to="/tasks">task inbox</Link>.
        </p>
        {user.role === 'admin' && !creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New play
          </button>
        )}
      </div>
      {creating && (
        <NewPlay
          initial={
            fromSegment
              ? { ...NEW_PLAY, trigger: { kind: 'segment_entered', segment: fromSegment } }
              : NEW_PLAY
          }
          done={() => {
            setCreating(false);
            if (params.has('new')) setParams({}, { replace: true });
          }}
        />
      )}
      <Queried
        query={plays}
        isEmpty={(data) => data.items.length === 0}
        empty={<Empty title="No plays yet." />}
      >
        {(data) => (
          <ul className="plays">
            {data.items.map((play) => (
              <PlayCard key={play.id} play={play} />
            ))}
          </ul>
        )}
      </Queried>
    </section>
  );
}

function PlayCard({ play }: { play: Play }) {
  const words = usePlayWords();
  const user = useUser();
  const client = useQueryClient();
  const [panel, setPanel] = useState<'none' | 'dry-run' | 'effect' | 'edit'>('none');
  const toggle = useMutation({
    mutationFn: () =>
      api<Play>(`/plays/${play.key}`, {
        method: 'PATCH',
        body: { active: !play.active, version: play.version },
      }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['plays'] }),
  });
  const admin = user.role === 'admin';
  const show = (next: typeof panel) => setPanel(panel === next ? 'none' : next);
  return (
    <li className="card play" data-play-key={play.key}>
      <div className="card-head">
        <h2>{play.name}</h2>
        <span className={`status status-${play.active ? 'open' : 'closed'}`}>
          {play.active ? 'active' : 'off'}
        </span>
      </div>
      {play.description && <p>{play.description}</p>}
      <p className="small">
        <strong>When:</strong> {words.trigger(play.definition.trigger)}
      </p>
      <ol className="steps small">
        {play.definition.steps.map((step, index) => (
          <li key={index}>{words.step(step)}</li>
        ))}
      </ol>
      <div className="actions">
        {admin && (
          <button
            type="button"
            className={play.active ? '' : 'primary'}
            disabled={toggle.isPending}
            onClick={() => toggle.mutate()}
          >
            {play.active ? 'Turn off' : 'Turn on'}
          </button>
        )}
        <button type="button" aria-expanded={panel === 'dry-run'} onClick={() => show('dry-run')}>
          Who would enter now?
        </button>
        <button type="button" aria-expanded={panel === 'effect'} onClick={() => show('effect')}>
          Does it work?
        </button>
        {admin && (
          <button type="button" aria-expanded={panel === 'edit'} onClick={() => show('edit')}>
            Edit definition
          </button>
        )}
      </div>
      <ActionError error={toggle.error} />
      {panel === 'dry-run' && <DryRunPanel play={play} />}
      {panel === 'effect' && <EffectPanel play={play} />}
      {panel === 'edit' && <DefinitionEditor play={play} done={() => setPanel('none')} />}
    </li>
  );
}

function DryRunPanel({ play, definition }: { play: Play; definition?: PlayDefinition }) {
  const dry = useQuery({
    queryKey: ['plays', play.key, 'dry-run', definition],
    queryFn: () =>
      api<DryRun>(`/plays/${play.key}/dry-run`, {
        method: 'POST',
        body: definition === undefined ? {} : { definition },
      }),
  });
  if (dry.isPending) return <Loading label="Working out who would enter…" />;
  if (dry.isError) return <ErrorState error={dry.error} />;
  return (
    <div className="panel">
      <p>
        <strong>{dry.data.total}</strong> accounts would enter now: {dry.data.treated} treated,{' '}
        {dry.data.holdout} held out
        {dry.data.alreadyInPlay > 0 && `, ${dry.data.alreadyInPlay} already in the play`}.
      </p>
      <ul className="small columns">
        {dry.data.accounts.slice(0, 30).map((account) => (
          <li key={account.id}>
            <Link to={`/accounts/${account.id}`}>{account.name}</Link>{' '}
            {account.cohort === 'holdout' && <span className="tag">holdout</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

function EffectPanel({ play }: { play: Play }) {
  const effect = useQuery({
    queryKey: ['plays', play.key, 'effectiveness'],
    queryFn: () => api<EffectivenessReport>(`/plays/${play.key}/effectiveness`),
  });
  if (effect.isPending) return <Loading />;
  if (effect.isError) return <ErrorState error={effect.error} />;
  const rate = (value: number | null) => (value === null ? '–' : `${Math.round(value * 100)}%`);
  return (
    <div className="panel">
      <p>
        <strong>{humanize(effect.data.verdict)}.</strong> {effect.data.summary}
      </p>
      <table className="compact">
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col" className="num">
              Entered
            </th>
            <th scope="col" className="num">
              Closed
            </th>
            <th scope="col" className="num">
              Save rate
            </th>
          </tr>
        </thead>
        <tbody>
          {(['treated', 'holdout'] as const).map((group) => (
            <tr key={group}>
              <th scope="row">{group === 'treated' ? 'Treated' : 'Holdout'}</th>
              <td className="num">{effect.data[group].entered}</td>
              <td className="num">{effect.data[group].closed}</td>
              <td className="num">{rate(effect.data[group].saveRate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DefinitionEditor({ play, done }: { play: Play; done: () => void }) {
  const words = usePlayWords();
  const client = useQueryClient();
  const [definition, setDefinition] = useState<PlayDefinition>(play.definition);
  const [asJson, setAsJson] = useState(false);
  const [text, setText] = useState('');
  const [parseError, setParseError] = useState<string | null>(null);
  const [preview, setPreview] = useState<PlayDefinition | null>(null);
  // The save is made on the version the editor opened (the card above refreshes live, and its
  // version with it): a version someone else saved meanwhile is shown, never overwritten unasked.
  const [against, setAgainst] = useState(play.version);
  const [theirs, setTheirs] = useState<Play | null>(null);
  const save = useMutation({
    mutationFn: (input: { next: PlayDefinition; version: number }) =>
      api<Play>(`/plays/${play.key}`, {
        method: 'PATCH',
        body: { definition: input.next, version: input.version },
      }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['plays'] });
      done();
    },
    onError: (error) => {
      const current =
        error instanceof ApiError && error.code === 'VERSION_CONFLICT' ? error.details?.current : null;
      if (current) setTheirs(current as Play);
    },
  });
  /** The definition being edited, from the form or the JSON text. */
  const current = (): PlayDefinition | null => {
    if (!asJson) return definition;
    try {
      setParseError(null);
      return JSON.parse(text) as PlayDefinition;
    } catch (error) {
      setParseError(`Not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  };
  const switchMode = () => {
    if (asJson) {
      const parsed = current();
      if (!parsed) return;
      setDefinition(parsed);
    } else setText(JSON.stringify(definition, null, 2));
    setAsJson(!asJson);
  };
  return (
    <div className="panel">
      <p className="muted small">
        Saving makes version {play.definitionVersion + 1}; runs in flight keep their version.
      </p>
      {asJson ? (
        <label>
          Definition (JSON)
          <textarea
            className="code-input"
            rows={16}
            spellCheck={false}
            value={text}
            onChange={(event) => setText(event.target.value)}
          />
        </label>
      ) : (
        <PlayBuilder definition={definition} onChange={setDefinition} />
      )}
      {parseError && (
        <p className="action-error" role="alert">
          {parseError}
        </p>
      )}
      {theirs ? (
        <div className="notice warn" role="alert">
          <p>
            Someone saved version {theirs.definitionVersion} of this play while you were editing. Yours is not
            saved yet. Their version:
          </p>
          <p className="small">
            <strong>When:</strong> {words.trigger(theirs.definition.trigger)}
          </p>
          <ol className="steps small">
            {theirs.definition.steps.map((step, index) => (
              <li key={index}>{words.step(step)}</li>
            ))}
          </ol>
          <div className="actions">
            <button
              type="button"
              className="primary small"
              disabled={save.isPending}
              onClick={() => {
                const next = current();
                if (!next) return;
                setAgainst(theirs.version);
                setTheirs(null);
                save.mutate({ next, version: theirs.version });
              }}
            >
              Save mine as version {theirs.definitionVersion + 1}
            </button>
            <button type="button" className="small" onClick={done}>
              Keep theirs
            </button>
          </div>
        </div>
      ) : (
        <ActionError error={save.error} />
      )}
      <div className="actions">
        <button type="button" onClick={switchMode}>
          {asJson ? 'Edit as a form' : 'Edit as JSON'}
        </button>
        <button
          type="button"
          onClick={() => {
            const next = current();
            if (next) setPreview(next);
          }}
        >
          Dry run this version
        </button>
        <button
          type="button"
          className="primary"
          disabled={save.isPending || theirs !== null}
          onClick={() => {
            const next = current();
            if (next) save.mutate({ next, version: against });
          }}
        >
          Save new version
        </button>
      </div>
      {preview !== null && <DryRunPanel play={play} definition={preview} />}
    </div>
  );
}

function NewPlay({ initial, done }: { initial: PlayDefinition; done: () => void }) {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [definition, setDefinition] = useState<PlayDefinition>(initial);
  const create = useMutation({
    mutationFn: () =>
      api<Play>('/plays', { method: 'POST', body: { name, description: description || null, definition } }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['plays'] });
      done();
    },
  });
  return (
    <form
      className="card"
      aria-label="New play"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate();
      }}
    >
      <h2>New play</h2>
      <div className="field-row">
        <label className="grow">
          Name
          <input required value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <label className="grow">
          What it is for
          <input value={description} onChange={(event) => setDescription(event.target.value)} />
        </label>
      </div>
      <PlayBuilder definition={definition} onChange={setDefinition} />
      <ActionError error={create.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create play (off until you turn it on)
        </button>
        <button type="button" onClick={done}>
          Cancel
        </button>
      </div>
    </form>
  );
}
