// Settings for admins: the risk process, stages and reasons, the health scorecard's weights,
// detection rules, users and teams, and API tokens.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { useReasons } from '../api/hooks';
import type { ApiToken, Items } from '../api/types';
import { Queried } from '../components/queried';
import { ActionError, Empty } from '../components/states';
import { formatDate } from '../format';
import { useUser } from '../session';
import { ImportWizard } from './import-wizard';
import { Stages } from './settings/stages';
import { UsersAndTeams } from './settings/users';
import { DetectionRules, HealthWeights, ProcessSettings } from './settings/config-editors';
import { TextField } from '../components/fields';

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
        {section === 'detection' && <DetectionRules />}
        {section === 'users' && <UsersAndTeams />}
        {section === 'tokens' && <Tokens />}
        {section === 'import' && <ImportWizard />}
      </div>
    </section>
  );
}

function StagesAndReasons() {
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
      <Stages />
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
