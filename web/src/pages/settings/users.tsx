// Settings → Users and teams: who can log in, with which role and team; inviting people, sending
// password resets, deactivating and reactivating; and the teams themselves.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { useTeams, useUsers } from '../../api/hooks';
import type { CreatedUser, PasswordLinkSent, Role, Team, User, UserAsSeen } from '../../api/types';
import { SelectField, TextField } from '../../components/fields';
import { Queried } from '../../components/queried';
import { ActionError } from '../../components/states';
import { formatDateTime } from '../../format';
import { useUser } from '../../session';
import './settings.css';

const ROLE_NAMES: Record<Role, string> = { admin: 'Admin', lead: 'Team lead', csm: 'CSM', viewer: 'Viewer' };
const ROLE_OPTIONS = (Object.keys(ROLE_NAMES) as Role[]).map((role) => ({
  value: role,
  label: ROLE_NAMES[role],
}));
const STATUS_NAMES: Record<User['status'], string> = {
  active: 'Active',
  invited: 'Invited',
  password_reset: 'Password reset sent',
  deactivated: 'Deactivated',
};

/** The list answers status and last login to admins, who alone open this screen. */
const asAdminSees = (user: UserAsSeen): User => ({
  status: user.active ? 'active' : 'deactivated',
  lastLoginAt: null,
  updatedAt: user.createdAt,
  ...user,
});

/** Why a link was not e-mailed, in words. */
function unsentReason(link: PasswordLinkSent): string {
  if (link.emailFailure === 'not_configured') return 'E-mail is not set up for Retain, so nothing was sent.';
  if (link.emailFailure === 'no_public_url')
    return 'Retain does not know its public address (RETAIN_PUBLIC_URL), so the link was not e-mailed.';
  return 'The e-mail could not be sent.';
}

/** A link that was just sent (or could not be): what happened, and the link to copy. */
interface SentLink {
  user: { name: string; email: string };
  link: PasswordLinkSent;
}

function SentLinkNotice({ sent, onClose }: { sent: SentLink; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  const what = sent.link.purpose === 'invitation' ? 'Invitation' : 'Password reset';
  return (
    <div className="notice" role="status" aria-label={`${what} for ${sent.user.name}`}>
      {sent.link.emailed ? (
        <p>
          {what} e-mailed to {sent.user.email}.
        </p>
      ) : (
        <p>
          {unsentReason(sent.link)} Copy this link and give it to {sent.user.name}:
        </p>
      )}
      <div className="inline-form">
        <label>
          {sent.link.purpose === 'invitation' ? 'Invitation link' : 'Password reset link'}
          <input readOnly value={sent.link.url} size={60} onFocus={(event) => event.target.select()} />
        </label>
        <button
          type="button"
          className="small"
          onClick={() =>
            void navigator.clipboard
              .writeText(sent.link.url)
              .then(() => setCopied(true))
              .catch(() => setCopied(false))
          }
        >
          {copied ? 'Copied' : 'Copy link'}
        </button>
        <button type="button" className="small link-button" onClick={onClose}>
          Done
        </button>
      </div>
      <p className="small muted">
        The link works once, until {formatDateTime(sent.link.expiresAt)}; sending a new one stops it working.
      </p>
    </div>
  );
}

/** One user's row: inline role and team, status, and what an admin can do about them. */
function UserRow({
  user,
  teams,
  onSent,
}: {
  user: User;
  teams: readonly Team[];
  onSent: (sent: SentLink) => void;
}) {
  const me = useUser();
  const client = useQueryClient();
  /** The change waiting for the admin's yes: each ends the user's sessions at once. */
  const [confirming, setConfirming] = useState<'deactivate' | 'reset' | null>(null);
  const refresh = () => void client.invalidateQueries({ queryKey: ['users'] });
  const change = useMutation({
    mutationFn: (changes: { role?: Role; teamId?: number | null; active?: boolean }) =>
      api<User>(`/users/${user.id}`, { method: 'PATCH', body: changes }),
    onSuccess: () => {
      setConfirming(null);
      refresh();
    },
    onError: refresh,
  });
  const send = useMutation({
    mutationFn: (what: 'invitation' | 'password-reset') =>
      api<PasswordLinkSent>(`/users/${user.id}/${what}`, { method: 'POST' }),
    onSuccess: (link) => {
      setConfirming(null);
      onSent({ user, link });
      refresh();
    },
  });
  const isMe = user.id === me.id;
  const name = isMe ? `${user.name} (you)` : user.name;
  return (
    <tr>
      <th scope="row">{name}</th>
      <td>{user.email}</td>
      <td>
        <select
          aria-label={`Role of ${user.name}`}
          value={user.role}
          disabled={change.isPending}
          onChange={(event) => change.mutate({ role: event.target.value as Role })}
        >
          {ROLE_OPTIONS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </td>
      <td>
        <select
          aria-label={`Team of ${user.name}`}
          value={user.teamId === null ? '' : String(user.teamId)}
          disabled={change.isPending}
          onChange={(event) =>
            change.mutate({ teamId: event.target.value === '' ? null : Number(event.target.value) })
          }
        >
          <option value="">No team</option>
          {teams.map((team) => (
            <option key={team.id} value={team.id}>
              {team.name}
            </option>
          ))}
        </select>
      </td>
      <td>
        <span className={user.status === 'active' ? 'tag' : 'tag tag-warn'}>{STATUS_NAMES[user.status]}</span>
      </td>
      <td>{user.lastLoginAt ? formatDateTime(user.lastLoginAt) : 'Never'}</td>
      <td>
        {confirming === 'deactivate' ? (
          <div className="inline-form" role="group" aria-label={`Deactivate ${user.name}?`}>
            <span>Deactivate {user.name}? They are logged out now and cannot log in until reactivated.</span>
            <button
              type="button"
              className="small"
              disabled={change.isPending}
              onClick={() => change.mutate({ active: false })}
            >
              Yes, deactivate
            </button>
            <button type="button" className="small" onClick={() => setConfirming(null)}>
              Cancel
            </button>
          </div>
        ) : confirming === 'reset' ? (
          <div className="inline-form" role="group" aria-label={`Send a password reset to ${user.name}?`}>
            <span>
              Send {user.name} a password reset? Their password stops working now and they are logged out
              until they choose a new one. Their API tokens keep working.
            </span>
            <button
              type="button"
              className="small"
              disabled={send.isPending}
              onClick={() => send.mutate('password-reset')}
            >
              Yes, send the reset
            </button>
            <button type="button" className="small" onClick={() => setConfirming(null)}>
              Cancel
            </button>
          </div>
        ) : (
          <div className="row-actions">
            {user.status === 'invited' && (
              <button
                type="button"
                className="small"
                disabled={send.isPending}
                onClick={() => send.mutate('invitation')}
                aria-label={`Resend invitation to ${user.name}`}
              >
                Resend invitation
              </button>
            )}
            {user.status === 'active' && !isMe && (
              <button
                type="button"
                className="small"
                onClick={() => setConfirming('reset')}
                aria-label={`Send password reset to ${user.name}`}
              >
                Send password reset
              </button>
            )}
            {user.status === 'password_reset' && (
              <button
                type="button"
                className="small"
                disabled={send.isPending}
                onClick={() => send.mutate('password-reset')}
                aria-label={`Resend password reset to ${user.name}`}
              >
                Resend password reset
              </button>
            )}
            {user.active ? (
              <button
                type="button"
                className="small"
                onClick={() => setConfirming('deactivate')}
                aria-label={`Deactivate ${user.name}`}
              >
                Deactivate
              </button>
            ) : (
              <button
                type="button"
                className="small"
                disabled={change.isPending}
                onClick={() => change.mutate({ active: true })}
                aria-label={`Reactivate ${user.name}`}
              >
                Reactivate
              </button>
            )}
          </div>
        )}
        <ActionError error={change.error ?? send.error} />
      </td>
    </tr>
  );
}

function AddUser({ onSent }: { onSent: (sent: SentLink) => void }) {
  const client = useQueryClient();
  const teams = useTeams();
  const empty = { email: '', name: '', role: 'csm' as Role, teamId: '' };
  const [draft, setDraft] = useState(empty);
  const create = useMutation({
    mutationFn: () =>
      api<CreatedUser>('/users', {
        method: 'POST',
        body: {
          email: draft.email,
          name: draft.name,
          role: draft.role,
          teamId: draft.teamId ? Number(draft.teamId) : null,
        },
      }),
    onSuccess: (created) => {
      setDraft(empty);
      if (created.invitation) onSent({ user: created, link: created.invitation });
      void client.invalidateQueries({ queryKey: ['users'] });
    },
  });
  return (
    <>
      <h3>Add a user</h3>
      <p className="small muted">
        They get a link to choose their password, by e-mail when Retain can send it.
      </p>
      <form
        className="inline-form"
        aria-label="Add a user"
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
        <SelectField
          label="Role"
          value={draft.role}
          options={ROLE_OPTIONS}
          onChange={(role) => setDraft({ ...draft, role: role as Role })}
        />
        <SelectField
          label="Team"
          value={draft.teamId}
          anyLabel="No team"
          options={(teams.data ?? []).map((team) => ({ value: String(team.id), label: team.name }))}
          onChange={(teamId) => setDraft({ ...draft, teamId })}
        />
        <button type="submit" disabled={create.isPending}>
          Add user
        </button>
      </form>
      <ActionError error={create.error} />
    </>
  );
}

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

export function UsersAndTeams() {
  const users = useUsers();
  const teams = useTeams();
  const [sent, setSent] = useState<SentLink | null>(null);
  return (
    <section className="card">
      <h2>Users</h2>
      {sent && <SentLinkNotice sent={sent} onClose={() => setSent(null)} />}
      <Queried query={users}>
        {(data) => (
          <table className="compact users-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Team</th>
                <th scope="col">Status</th>
                <th scope="col">Last login</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((one) => (
                <UserRow key={one.id} user={asAdminSees(one)} teams={teams.data ?? []} onSent={setSent} />
              ))}
            </tbody>
          </table>
        )}
      </Queried>
      <AddUser onSent={setSent} />
      <Teams />
    </section>
  );
}
