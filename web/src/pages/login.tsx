// Log in with email and password; tells why the last session ended, and how long to wait when too
// many attempts were made.
import { useEffect, useState, type FormEvent } from 'react';
import { useLocation } from 'react-router';
import { ApiError } from '../api/client';
import { ActionError } from '../components/states';
import { useSession } from '../session';

/** When a throttled login may be tried again, from the server's answer; null for other errors. */
function retryAt(error: unknown): number | null {
  if (!(error instanceof ApiError) || error.code !== 'LOGIN_THROTTLED') return null;
  const seconds = Number(error.details?.retryAfterSeconds);
  return Date.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds : 60) * 1000;
}

function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** The current time, moved on once a second while `running`. */
function useTicking(running: boolean): [number, (now: number) => void] {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return [now, setNow];
}

/** What the page that led here passed on: the e-mail to log in with, and why (a password just set). */
function arrival(state: unknown): { email: string; notice: string | null } {
  const given = (state ?? {}) as { email?: unknown; notice?: unknown };
  return {
    email: typeof given.email === 'string' ? given.email : '',
    notice: typeof given.notice === 'string' ? given.notice : null,
  };
}

export function LoginPage() {
  const { login, notice: sessionNotice } = useSession();
  const arrived = arrival(useLocation().state);
  const notice = sessionNotice ?? arrived.notice;
  const [email, setEmail] = useState(arrived.email);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [throttledUntil, setThrottledUntil] = useState<number | null>(null);
  const [now, setNow] = useTicking(throttledUntil !== null);
  const wait = throttledUntil === null ? 0 : Math.max(0, Math.ceil((throttledUntil - now) / 1000));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    login(email, password)
      .catch((caught: unknown) => {
        setError(caught);
        setNow(Date.now());
        setThrottledUntil(retryAt(caught));
      })
      .finally(() => setBusy(false));
  };

  return (
    <main className="login" id="main">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Retain</h1>
        <p className="muted">Log in to work your accounts at risk.</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label>
          Email
          <input
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        {throttledUntil !== null && wait > 0 ? (
          <p className="action-error" role="alert">
            Too many login attempts. You can try again in {waitText(wait)}.
          </p>
        ) : (
          <ActionError error={throttledUntil === null ? error : null} />
        )}
        <button type="submit" className="primary" disabled={busy || wait > 0}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
