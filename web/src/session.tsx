// Who is logged in. The app starts by asking the API for the current session; a 401 anywhere
// later (expired, logged out in another tab) returns to the login screen with a notice.
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { can, type Actor, type Permission } from '../../src/domain/policy';
import { api, ApiError, onSessionEnded, setCsrfToken } from './api/client';
import type { Session, User } from './api/types';

interface SessionState {
  user: User | null;
  /** Why the last session ended, shown on the login screen. */
  notice: string | null;
  checking: boolean;
  login: (email: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [user, setUser] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [checking, setChecking] = useState(true);

  useEffect(() => {
    api<Session>('/auth/session')
      .then((session) => {
        setCsrfToken(session.csrfToken);
        setUser(session.user);
      })
      .catch(() => setUser(null))
      .finally(() => setChecking(false));
  }, []);

  useEffect(
    () =>
      onSessionEnded(() => {
        setUser((current) => {
          if (current) setNotice('Your session has ended. Log in again to carry on.');
          return null;
        });
        setCsrfToken(null);
        queryClient.clear();
      }),
    [queryClient],
  );

  const login = useCallback(
    async (email: string, password: string) => {
      const result = await api<Session>('/auth/login', { method: 'POST', body: { email, password } });
      setCsrfToken(result.csrfToken);
      queryClient.clear();
      setNotice(null);
      setUser(result.user);
    },
    [queryClient],
  );

  const logout = useCallback(async () => {
    await api('/auth/logout', { method: 'POST' }).catch((error: unknown) => {
      if (!(error instanceof ApiError)) throw error;
    });
    setCsrfToken(null);
    queryClient.clear();
    setNotice('You have logged out.');
    setUser(null);
  }, [queryClient]);

  const value = useMemo(
    () => ({ user, notice, checking, login, logout }),
    [user, notice, checking, login, logout],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}

/** The logged-in user; only for screens behind the login. */
export function useUser(): User {
  const { user } = useSession();
  if (!user) throw new Error('useUser without a session');
  return user;
}

/** Whether the logged-in user may do something, by the same rules the API enforces. */
export function useCan(): (
  permission: Permission,
  scope?: { ownerId: number | null; teamId: number | null },
) => boolean {
  const user = useUser();
  return useCallback(
    (permission, scope) => {
      const actor: Actor = { userId: user.id, role: user.role, teamId: user.teamId, label: user.email };
      return can(actor, permission, scope);
    },
    [user],
  );
}
