// Choosing a password from an invitation or reset link (/set-password?token=…), without a session:
// the new password twice, the rules shown, then on to the login screen with the e-mail filled in.
import { useEffect, useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router';
import {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  passwordProblem,
} from '../../../src/domain/password-rules';
import { api, ApiError } from '../api/client';
import type { PasswordSet } from '../api/types';
import { useSession } from '../session';

/** What went wrong, in words for the person choosing a password. */
function problemText(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Try again.';
  switch (error.code) {
    case 'PASSWORD_LINK_INVALID':
      return 'This link no longer works: it was used already, it expired, or a newer one was sent. Ask an admin of Retain for a new link.';
    case 'PASSWORD_LINK_THROTTLED': {
      const seconds = Number(error.details?.retryAfterSeconds);
      const minutes = Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds / 60) : 1;
      return `Too many attempts from this network. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
    }
    default:
      return error.message;
  }
}

export function SetPasswordPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const { user, logout } = useSession();
  // The token is kept in memory and taken out of the address at once, so it stays out of the
  // browser's history and of anything that reads the address later.
  const [token] = useState(() => new URLSearchParams(location.search).get('token') ?? '');
  useEffect(() => {
    if (new URLSearchParams(location.search).has('token')) void navigate('/set-password', { replace: true });
  }, [location.search, navigate]);
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<PasswordSet | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const rule = passwordProblem(password);
    if (rule !== null) return setProblem(rule);
    if (password !== repeat)
      return setProblem('The two passwords are not the same. Type the new password twice.');
    setBusy(true);
    setProblem(null);
    api<PasswordSet>('/auth/set-password', { method: 'POST', body: { token, password } })
      .then(setDone)
      .catch((error: unknown) => setProblem(problemText(error)))
      .finally(() => setBusy(false));
  };

  const toLogin = async (email: string) => {
    // Someone else's session in this browser would hide the login screen.
    if (user) await logout();
    await navigate('/', { replace: true, state: { email, notice: 'Your password is set. Log in with it.' } });
  };

  return (
    <main className="login" id="main">
      {done ? (
        <section className="login-card" aria-labelledby="set-password-title">
          <h1 id="set-password-title">Password set</h1>
          <p role="status">You can now log in to Retain as {done.email}.</p>
          <button type="button" className="primary" onClick={() => void toLogin(done.email)}>
            Log in
          </button>
        </section>
      ) : (
        <form className="login-card" onSubmit={submit} aria-labelledby="set-password-title" noValidate>
          <h1 id="set-password-title">Choose your password</h1>
          {token === '' ? (
            <p className="action-error" role="alert">
              This address holds no link to set a password. Open the link from your invitation or reset
              e-mail, or ask an admin of Retain for a new one.
            </p>
          ) : (
            <>
              <p className="muted" id="password-rules">
                At least {MIN_PASSWORD_LENGTH} characters (at most {MAX_PASSWORD_LENGTH}). A few unrelated
                words make a good one.
              </p>
              <label>
                New password
                <input
                  type="password"
                  autoComplete="new-password"
                  aria-describedby="password-rules"
                  required
                  value={password}
                  onChange={(event) => setPassword(event.target.value)}
                />
              </label>
              <label>
                Repeat the new password
                <input
                  type="password"
                  autoComplete="new-password"
                  required
                  value={repeat}
                  onChange={(event) => setRepeat(event.target.value)}
                />
              </label>
              {problem && (
                <p className="action-error" role="alert">
                  {problem}
                </p>
              )}
              <button type="submit" className="primary" disabled={busy}>
                {busy ? 'Setting the password…' : 'Set password'}
              </button>
            </>
          )}
        </form>
      )}
    </main>
  );
}
