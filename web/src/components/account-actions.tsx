// What a CSM does on any account, at risk or not: open a risk case by hand, log a touchpoint, and
// say how they read the account (their sentiment). Each control is offered only to those the API
// lets do it (the account's CSM, their team lead, an admin), and says why to everyone else.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { TOUCHPOINT_CHANNELS, TOUCHPOINT_OUTCOMES, TOUCHPOINT_REASONS } from '../../../src/domain/touchpoint';
import { api } from '../api/client';
import { useReasons } from '../api/hooks';
import type { Account, AccountHealth, RiskCaseDetail, Signal } from '../api/types';
import { formatDateTime } from '../format';
import { useCan } from '../session';
import { ActionError } from './states';

const NOT_YOURS = "Only the account's CSM, their team lead or an admin can do this.";

/** Whether the signed-in user may work this account's case (and so its touchpoints and sentiment). */
export function useMayWork(account: Pick<Account, 'ownerId' | 'teamId'>): boolean {
  const can = useCan();
  return can('case.write', { ownerId: account.ownerId, teamId: account.teamId });
}

/** Opens a risk case on an account that has none open: reasons from the configured list, a note. */
export function OpenCaseForm({ account }: { account: Account }) {
  const client = useQueryClient();
  const reasons = useReasons();
  const mayWork = useMayWork(account);
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState<string[]>([]);
  const [note, setNote] = useState('');
  const noteId = useId();
  const create = useMutation({
    mutationFn: () =>
      api<RiskCaseDetail>('/risk-cases', {
        method: 'POST',
        body: { accountId: account.id, reasons: chosen, ...(note.trim() ? { note: note.trim() } : {}) },
      }),
    onSuccess: (created) => {
      client.setQueryData(['case', created.id], created);
      setOpen(false);
      setChosen([]);
      setNote('');
      for (const key of ['account', 'risk-cases', 'matrix', 'huddle', 'accounts'])
        void client.invalidateQueries({ queryKey: [key] });
    },
  });
  if (!mayWork) return <p className="muted small">{NOT_YOURS.replace('do this', 'open a risk case here')}</p>;
  if (!open)
    return (
      <button type="button" className="primary" onClick={() => setOpen(true)}>
        Open a risk case
      </button>
    );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="account-actions" onSubmit={submit} aria-label="Open a risk case">
      <fieldset>
        <legend>Why is this account at risk?</legend>
        {(reasons.data ?? [])
          .filter((reason) => reason.active)
          .map((reason) => (
            <label key={reason.key} className="check">
              <input
                type="checkbox"
                checked={chosen.includes(reason.key)}
                onChange={(event) =>
                  setChosen((current) =>
                    event.target.checked
                      ? [...current, reason.key]
                      : current.filter((key) => key !== reason.key),
                  )
                }
              />
              {reason.name}
            </label>
          ))}
      </fieldset>
      <label htmlFor={noteId}>
        Note (optional)
        <textarea
          id={noteId}
          rows={2}
          maxLength={5000}
          value={note}
          onChange={(e) => setNote(e.target.value)}
        />
      </label>
      {chosen.length === 0 && <p className="muted small">Pick at least one reason.</p>}
      <ActionError error={create.error} />
      <div className="form-row">
        <button type="submit" className="primary" disabled={chosen.length === 0 || create.isPending}>
          {create.isPending ? 'Opening…' : 'Open the case'}
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const CHANNEL_NAMES: Record<(typeof TOUCHPOINT_CHANNELS)[number], string> = {
  meeting: 'Meeting',
  call: 'Call',
  email: 'Email',
  chat: 'Chat',
  other: 'Other',
};
const OUTCOME_NAMES: Record<(typeof TOUCHPOINT_OUTCOMES)[number], string> = {
  positive: 'Positive',
  neutral: 'Neutral',
  negative: 'Negative',
};

/** A touchpoint in words: "Call · Risk · Negative: Budget is frozen". */
export function describeTouchpoint(signal: Signal): string {
  const { channel, reason, outcome, note } = signal.data;
  const name = (names: Record<string, string>, value: unknown) =>
    typeof value === 'string' ? (names[value] ?? value) : null;
  const parts = [
    name(CHANNEL_NAMES, channel),
    typeof reason === 'string' ? reason : null,
    name(OUTCOME_NAMES, outcome),
  ];
  const head = parts.filter(Boolean).join(' · ');
  return typeof note === 'string' && note ? `${head}: ${note}` : head;
}

/** Today as the date input writes it, in the user's time zone. */
function localToday(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** Logs a touchpoint; it shows on the account's signals as soon as it is saved. */
export function TouchpointForm({ account }: { account: Account }) {
  const client = useQueryClient();
  const mayWork = useMayWork(account);
  const empty = { date: localToday(), channel: 'call', reason: 'Check-in', outcome: '', note: '' };
  const [form, setForm] = useState(empty);
  const [open, setOpen] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const log = useMutation({
    mutationFn: () =>
      api<Signal>(`/accounts/${account.id}/touchpoints`, {
        method: 'POST',
        body: {
          // A touchpoint today is stamped now; an earlier day at its midday.
          ...(form.date && form.date !== localToday() ? { occurredAt: `${form.date}T12:00:00.000Z` } : {}),
          channel: form.channel,
          reason: form.reason,
          ...(form.outcome ? { outcome: form.outcome } : {}),
          ...(form.note.trim() ? { note: form.note.trim() } : {}),
        },
      }),
    onSuccess: (signal) => {
      setSaved(describeTouchpoint(signal));
      setForm(empty);
      setOpen(false);
      void client.invalidateQueries({ queryKey: ['account', account.id] });
      void client.invalidateQueries({ queryKey: ['accounts'] });
    },
  });
  if (!mayWork) return <p className="muted small">{NOT_YOURS.replace('do this', 'log touchpoints here')}</p>;
  const set = (key: keyof typeof form) => (value: string) =>
    setForm((current) => ({ ...current, [key]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    log.mutate();
  };
  return (
    <div className="account-actions">
      {saved && (
        <p className="muted small" role="status">
          Touchpoint logged: {saved}
        </p>
      )}
      {!open ? (
        <div>
          <button type="button" onClick={() => setOpen(true)}>
            Log a touchpoint
          </button>
        </div>
      ) : (
        <form className="account-actions" onSubmit={submit} aria-label="Log a touchpoint">
          <div className="form-row">
            <label>
              Date
              <input
                type="date"
                required
                max={localToday()}
                value={form.date}
                onChange={(event) => set('date')(event.target.value)}
              />
            </label>
            <label>
              Type
              <select value={form.channel} onChange={(event) => set('channel')(event.target.value)}>
                {TOUCHPOINT_CHANNELS.map((channel) => (
                  <option key={channel} value={channel}>
                    {CHANNEL_NAMES[channel]}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Reason
              <select value={form.reason} onChange={(event) => set('reason')(event.target.value)}>
                {TOUCHPOINT_REASONS.map((reason) => (
                  <option key={reason} value={reason}>
                    {reason}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Outcome
              <select value={form.outcome} onChange={(event) => set('outcome')(event.target.value)}>
                <option value="">Not said</option>
                {TOUCHPOINT_OUTCOMES.map((outcome) => (
                  <option key={outcome} value={outcome}>
                    {OUTCOME_NAMES[outcome]}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <label>
            Note
            <textarea
              rows={2}
              maxLength={2000}
              value={form.note}
              onChange={(event) => set('note')(event.target.value)}
            />
          </label>
          <ActionError error={log.error} />
          <div className="form-row">
            <button type="submit" className="primary" disabled={log.isPending}>
              {log.isPending ? 'Saving…' : 'Save touchpoint'}
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

const SENTIMENTS = [
  { value: 'green', label: 'Green: all well' },
  { value: 'yellow', label: 'Yellow: some worry' },
  { value: 'red', label: 'Red: at risk' },
] as const;
const SENTIMENT_NAMES: Record<string, string> = { green: 'Green', yellow: 'Yellow', red: 'Red' };

/** The CSM's own read of the account beside the computed score: what it is, who said so, a change. */
export function SentimentCard({ account }: { account: Account }) {
  const client = useQueryClient();
  const mayWork = useMayWork(account);
  const health = useQuery({
    queryKey: ['account', account.id, 'health'],
    queryFn: () => api<AccountHealth>(`/accounts/${account.id}/health`),
  });
  const current = health.data?.sentiment ?? null;
  const [choice, setChoice] = useState<string>('');
  const [note, setNote] = useState('');
  const save = useMutation({
    mutationFn: () =>
      api<AccountHealth>(`/accounts/${account.id}/sentiment`, {
        method: 'POST',
        body: { sentiment: choice, note: note.trim() || null },
      }),
    onSuccess: (updated) => {
      client.setQueryData(['account', account.id, 'health'], updated);
      void client.invalidateQueries({ queryKey: ['account', account.id, 'timeline'] });
      setChoice('');
      setNote('');
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <section className="card" aria-labelledby="sentiment-title">
      <h2 id="sentiment-title">CSM sentiment</h2>
      {health.isPending ? null : current ? (
        <p className="sentiment-line">
          <span className={`sentiment sentiment-${current.sentiment}`}>
            {SENTIMENT_NAMES[current.sentiment]}
          </span>{' '}
          <span className="muted small">
            set by {current.userEmail ?? 'someone no longer here'} on {formatDateTime(current.at)}
          </span>
          {current.note && <span className="sentiment-note">“{current.note}”</span>}
        </p>
      ) : (
        <p className="muted">No sentiment recorded yet.</p>
      )}
      {health.data?.disagreement && <p className="tag tag-warn">Disagrees with the health score</p>}
      {mayWork ? (
        <form className="account-actions" onSubmit={submit} aria-label="Set the CSM sentiment">
          <fieldset>
            <legend>How do you read this account?</legend>
            {SENTIMENTS.map((option) => (
              <label key={option.value} className="check">
                <input
                  type="radio"
                  name={`sentiment-${account.id}`}
                  value={option.value}
                  checked={choice === option.value}
                  onChange={() => setChoice(option.value)}
                />
                {option.label}
              </label>
            ))}
          </fieldset>
          <label>
            Why (optional)
            <textarea
              rows={2}
              maxLength={5000}
              value={note}
              onChange={(event) => setNote(event.target.value)}
            />
          </label>
          <ActionError error={save.error} />
          <div>
            <button type="submit" className="primary" disabled={choice === '' || save.isPending}>
              {save.isPending ? 'Saving…' : 'Save sentiment'}
            </button>
          </div>
        </form>
      ) : (
        <p className="muted small">{NOT_YOURS.replace('do this', 'change it')}</p>
      )}
    </section>
  );
}
