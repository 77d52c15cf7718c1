// Settings for admins: the risk process, stages and reasons, the health scorecard's weights,
// detection rules, users and teams, and API tokens.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { useReasons, useSettings, useStages, useTeams, useUsers } from '../api/hooks';
import type { ApiToken, Items, Role, Settings, Stage } from '../api/types';
import { Queried } from '../components/queried';
import { ActionError, Empty, ErrorState, Loading } from '../components/states';
import { formatDate } from '../format';
import { useUser } from '../session';
import { ImportWizard } from './import-wizard';
import { LocaleSelect, TextField } from '../components/fields';

const SECTIONS = [
  { key: 'process', label: 'Risk process' },
  { key: 'stages', label: 'Stages and reasons' },
  { key: 'health', label: 'Health scorecard' },
  { key: 'detection', label: 'Detection rules' },
  { key: 'users', label: 'Users and teams' },
  { key: 'tokens', label: 'API tokens' },
  { key: 'import', label: 'Import CSV' },
] as const;
type Section = (typeof SECTIONS)[number]['key'];

export default function SettingsPage() {
  const user = useUser();
  const [section, setSection] = useState<Section>('process');
  if (user.role !== 'admin')
    return (
      <section className="page">
        <h1>Settings</h1>
        <Empty title="Settings are for admins.">
          Ask an admin to change stages, reasons, scores or users.
        </Empty>
      </section>
    );
  return (
    <section className="page settings">
      <h1>Settings</h1>
      <div className="tabs" role="tablist" aria-label="Settings sections">
        {SECTIONS.map((one) => (
          <button
            key={one.key}
            type="button"
            role="tab"
            aria-selected={section === one.key}
            className={section === one.key ? 'tab active' : 'tab'}
            onClick={() => setSection(one.key)}
          >
            {one.label}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {section === 'process' && <ProcessSettings />}
        {section === 'stages' && <StagesAndReasons />}
        {section === 'health' && <HealthWeights />}
        {section === 'detection' && (
          <JsonSetting path="/detection/rules" wrap="items" title="Detection rules" />
        )}
        {section === 'users' && <Users />}
        {section === 'tokens' && <Tokens />}
        {section === 'import' && <ImportWizard />}
      </div>
    </section>
  );
}

function ProcessSettings() {
  const settings = useSettings();
  const client = useQueryClient();
  const [draft, setDraft] = useState<Partial<Settings>>({});
  const [hostsText, setHostsText] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: () => api<Settings>('/settings', { method: 'PATCH', body: draft }),
    onSuccess: () => {
      setDraft({});
      setHostsText(null);
      void client.invalidateQueries({ queryKey: ['settings'] });
    },
  });
  if (settings.isPending) return <Loading />;
  if (settings.isError) return <ErrorState error={settings.error} retry={() => void settings.refetch()} />;
  const value = { ...settings.data, ...draft };
  const number = (
    key: keyof Omit<Settings, 'priorityWeights' | 'outboundAllowlist' | 'importLocale'>,
    label: string,
    step = 1,
  ) => (
    <label>
      {label}
      <input
        type="number"
        step={step}
        value={value[key]}
        onChange={(event) => setDraft((current) => ({ ...current, [key]: Number(event.target.value) }))}
      />
    </label>
  );
  return (
    <form
      className="card form-grid"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      {number('updateOverdueDays', 'Weekly update overdue after (days)')}
      {number('digitalLtvThreshold', 'Digital track below LTV ($)', 500)}
      {number('expectedLifetimeYears', 'Expected customer lifetime (years)', 0.5)}
      {number('detectionQuietDays', 'Closed case stays closed for (days)')}
      {number('dailyRunHourUtc', 'Daily re-scoring hour (UTC)')}
      {number('sessionIdleHours', 'Log out after idle (hours)')}
      <LocaleSelect
        label="How imported files write numbers and dates"
        value={value.importLocale ?? ''}
        onChange={(tag) => setDraft((current) => ({ ...current, importLocale: tag || null }))}
        anyLabel="Ask: refuse a value that reads two ways"
      />
      <label>
        Internal hosts plays may send webhooks to (host names, addresses or CIDR ranges, one per line)
        <textarea
          rows={3}
          value={hostsText ?? value.outboundAllowlist.join('\n')}
          onChange={(event) => {
            setHostsText(event.target.value);
            setDraft((current) => ({
              ...current,
              outboundAllowlist: event.target.value
                .split('\n')
                .map((line) => line.trim())
                .filter(Boolean),
            }));
          }}
        />
      </label>
      <ActionError error={save.error} />
      <div className="actions">
        <button
          type="submit"
          className="primary"
          disabled={save.isPending || Object.keys(draft).length === 0}
        >
          Save settings
        </button>
      </div>
    </form>
  );
}

function StageRow({ stage }: { stage: Stage }) {
  const client = useQueryClient();
  const [name, setName] = useState(stage.name);
  const update = useMutation({
    mutationFn: (changes: { name?: string; active?: boolean }) =>
      api(`/risk-stages/${stage.key}`, { method: 'PATCH', body: changes }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['stages'] }),
  });
  return (
    <form
      className="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate({ name });
      }}
    >
      <label>
        {`Name of stage ${stage.key}`}
        <input required value={name} onChange={(event) => setName(event.target.value)} />
      </label>
      {stage.isEnd && <span className="tag">closes as {stage.outcome}</span>}
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
      <ActionError error={update.error} />
    </form>
  );
}

function StagesAndReasons() {
  const stages = useStages();
  const reasons = useReasons();
  const client = useQueryClient();
  const [reason, setReason] = useState({ key: '', name: '' });
  const toggleReason = useMutation({
    mutationFn: (input: { key: string; active: boolean }) =>
      api(`/risk-reasons/${input.key}`, { method: 'PATCH', body: { active: input.active } }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['reasons'] }),
  });
  const addReason = useMutation({
    mutationFn: () => api('/risk-reasons', { method: 'POST', body: reason }),
    onSuccess: () => {
      setReason({ key: '', name: '' });
      void client.invalidateQueries({ queryKey: ['reasons'] });
    },
  });
  return (
    <div className="two-col">
      <section className="card">
        <h2>Stages</h2>
        <Queried query={stages}>
          {(data) => (
            <ol className="plain">
              {data.map((stage) => (
                <li key={stage.key}>
                  <StageRow stage={stage} />
                </li>
              ))}
            </ol>
          )}
        </Queried>
        <p className="muted small">
          Renaming keeps every case and its history; a retired stage stays on the cases already in it.
        </p>
      </section>
      <section className="card">
        <h2>Risk reasons</h2>
        <Queried query={reasons}>
          {(data) => (
            <ul className="plain">
              {data.map((one) => (
                <li key={one.key}>
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={one.active}
                      onChange={() => toggleReason.mutate({ key: one.key, active: !one.active })}
                    />
                    {one.name} <span className="muted small">{one.key}</span>
                  </label>
                </li>
              ))}
            </ul>
          )}
        </Queried>
        <ActionError error={toggleReason.error} />
        <form
          className="inline-form"
          onSubmit={(event: FormEvent) => {
            event.preventDefault();
            addReason.mutate();
          }}
        >
          <TextField
            label="Key"
            required
            pattern="[a-z0-9_]{1,64}"
            value={reason.key}
            onChange={(key) => setReason({ ...reason, key })}
          />
          <TextField
            label="Name"
            required
            value={reason.name}
            onChange={(name) => setReason({ ...reason, name })}
          />
          <button type="submit" disabled={addReason.isPending}>
            Add reason
          </button>
        </form>
        <ActionError error={addReason.error} />
      </section>
    </div>
  );
}

interface Scorecard {
  measures: { key: string; name: string; weight: number }[];
  bands: { name: string; min: number }[];
}

function HealthWeights() {
  const client = useQueryClient();
  const scorecard = useQuery({ queryKey: ['scorecard'], queryFn: () => api<Scorecard>('/health/scorecard') });
  const [weights, setWeights] = useState<Record<string, number>>({});
  const save = useMutation({
    mutationFn: (card: Scorecard) =>
      api('/health/scorecard', {
        method: 'PUT',
        body: {
          ...card,
          measures: card.measures.map((measure) => ({
            ...measure,
            weight: weights[measure.key] ?? measure.weight,
          })),
        },
      }),
    onSuccess: () => {
      setWeights({});
      void client.invalidateQueries({ queryKey: ['scorecard'] });
    },
  });
  if (scorecard.isPending) return <Loading />;
  if (scorecard.isError) return <ErrorState error={scorecard.error} retry={() => void scorecard.refetch()} />;
  const card = scorecard.data;
  const total = card.measures.reduce((sum, measure) => sum + (weights[measure.key] ?? measure.weight), 0);
  return (
    <form
      className="card"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate(card);
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
                    onChange={(event) =>
                      setWeights({ ...weights, [measure.key]: Number(event.target.value) })
                    }
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
      <ActionError error={save.error} />
      <button
        type="submit"
        className="primary"
        disabled={save.isPending || Object.keys(weights).length === 0}
      >
        Save weights
      </button>
    </form>
  );
}

/** A configuration document edited as JSON, validated by the API on save. */
function JsonSetting({ path, wrap, title }: { path: string; wrap: 'items'; title: string }) {
  const client = useQueryClient();
  const current = useQuery({ queryKey: ['json-setting', path], queryFn: () => api<Items<unknown>>(path) });
  const [text, setText] = useState<string | null>(null);
  const [parseError, setParseError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (items: unknown) => api(path, { method: 'PUT', body: { [wrap]: items } }),
    onSuccess: () => {
      setText(null);
      void client.invalidateQueries({ queryKey: ['json-setting', path] });
    },
  });
  if (current.isPending) return <Loading />;
  if (current.isError) return <ErrorState error={current.error} retry={() => void current.refetch()} />;
  const shown = text ?? JSON.stringify(current.data.items, null, 2);
  return (
    <form
      className="card"
      onSubmit={(event) => {
        event.preventDefault();
        try {
          setParseError(null);
          save.mutate(JSON.parse(shown) as unknown);
        } catch (error) {
          setParseError(`Not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
        }
      }}
    >
      <label>
        {title}
        <textarea
          className="code-input"
          rows={20}
          spellCheck={false}
          value={shown}
          onChange={(event) => setText(event.target.value)}
        />
      </label>
      {parseError && (
        <p className="action-error" role="alert">
          {parseError}
        </p>
      )}
      <ActionError error={save.error} />
      <button type="submit" className="primary" disabled={save.isPending || text === null}>
        Save
      </button>
    </form>
  );
}

const ROLES: Role[] = ['admin', 'lead', 'csm', 'viewer'];

function Teams() {
  const teams = useTeams();
  const client = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => api('/teams', { method: 'POST', body: { name } }),
    onSuccess: () => {
      setName('');
      void client.invalidateQueries({ queryKey: ['teams'] });
    },
  });
  return (
    <>
      <h3>Teams</h3>
      <p>{(teams.data ?? []).map((team) => team.name).join(', ') || 'No teams yet.'}</p>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <label>
          New team
          <input required value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <button type="submit" disabled={create.isPending}>
          Add team
        </button>
      </form>
      <ActionError error={create.error} />
    </>
  );
}

function Users() {
  const users = useUsers();
  const teams = useTeams();
  const client = useQueryClient();
  const [draft, setDraft] = useState({ email: '', name: '', role: 'csm' as Role, teamId: '' });
  const create = useMutation({
    mutationFn: () =>
      api('/users', {
        method: 'POST',
        body: {
          email: draft.email,
          name: draft.name,
          role: draft.role,
          teamId: draft.teamId ? Number(draft.teamId) : null,
        },
      }),
    onSuccess: () => {
      setDraft({ email: '', name: '', role: 'csm', teamId: '' });
      void client.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const teamName = (id: number | null) => teams.data?.find((team) => team.id === id)?.name ?? '–';
  return (
    <section className="card">
      <h2>Users</h2>
      <Queried query={users}>
        {(data) => (
          <table className="compact">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Team</th>
              </tr>
            </thead>
            <tbody>
              {data.map((one) => (
                <tr key={one.id}>
                  <td>{one.name}</td>
                  <td>{one.email}</td>
                  <td>{one.role}</td>
                  <td>{teamName(one.teamId)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Queried>
      <Teams />
      <h3>Add a user</h3>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <TextField
          label="Email"
          type="email"
          required
          value={draft.email}
          onChange={(email) => setDraft({ ...draft, email })}
        />
        <TextField
          label="Name"
          required
          value={draft.name}
          onChange={(name) => setDraft({ ...draft, name })}
        />
        <label>
          Role
          <select
            aria-label="Role"
            value={draft.role}
            onChange={(event) => setDraft({ ...draft, role: event.target.value as Role })}
          >
            {ROLES.map((role) => (
              <option key={role}>{role}</option>
            ))}
          </select>
        </label>
        <label>
          Team
          <select
            aria-label="Team"
            value={draft.teamId}
            onChange={(event) => setDraft({ ...draft, teamId: event.target.value })}
          >
            <option value="">No team</option>
            {(teams.data ?? []).map((team) => (
              <option key={team.id} value={team.id}>
                {team.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={create.isPending}>
          Add user
        </button>
      </form>
      <ActionError error={create.error} />
    </section>
  );
}

function Tokens() {
  const client = useQueryClient();
  const tokens = useQuery({ queryKey: ['tokens'], queryFn: () => api<Items<ApiToken>>('/auth/tokens') });
  const [name, setName] = useState('');
  const [scope, setScope] = useState<'full' | 'ingest'>('ingest');
  const [secret, setSecret] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => api<{ token: string }>('/auth/tokens', { method: 'POST', body: { name, scope } }),
    onSuccess: (result) => {
      setSecret(result.token);
      setName('');
      void client.invalidateQueries({ queryKey: ['tokens'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: number) => api(`/auth/tokens/${id}`, { method: 'DELETE' }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['tokens'] }),
  });
  return (
    <section className="card">
      <h2>API tokens</h2>
      {secret && (
        <p className="notice" role="status">
          New token (shown once, copy it now): <code>{secret}</code>
        </p>
      )}
      <Queried
        query={tokens}
        isEmpty={(data) => data.items.length === 0}
        empty={<Empty title="No API tokens." />}
      >
        {(data) => (
          <table className="compact">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scope</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {data.items.map((token) => (
                <tr key={token.id}>
                  <td>{token.name}</td>
                  <td>{token.scope}</td>
                  <td>{formatDate(token.createdAt)}</td>
                  <td>{token.lastUsedAt ? formatDate(token.lastUsedAt) : 'never'}</td>
                  <td>
                    {token.revokedAt ? (
                      'revoked'
                    ) : (
                      <button type="button" className="small" onClick={() => revoke.mutate(token.id)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Queried>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <label>
          Name
          <input required value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <label>
          Scope
          <select
            aria-label="Scope"
            value={scope}
            onChange={(event) => setScope(event.target.value as 'full' | 'ingest')}
          >
            <option value="ingest">Ingest only (push data)</option>
            <option value="full">Full (as me)</option>
          </select>
        </label>
        <button type="submit" disabled={create.isPending}>
          Create token
        </button>
      </form>
      <ActionError error={create.error ?? revoke.error} />
    </section>
  );
}
