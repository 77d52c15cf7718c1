// The shell: login gate, navigation, live status and the routes; each screen loads on first visit.
import { lazy, Suspense } from 'react';
import { NavLink, Route, Routes, useLocation } from 'react-router';
import { GlobalSearch } from './components/global-search';
import { NotificationBell } from './components/notifications';
import { Loading } from './components/states';
import { LiveProvider, useLive } from './live';
import { LoginPage } from './pages/login';
import { SetPasswordPage } from './pages/set-password';
import { SessionProvider, useSession, useUser } from './session';

const WorklistPage = lazy(() => import('./pages/worklist'));
const AccountPage = lazy(() => import('./pages/account'));
const AccountsPage = lazy(() => import('./pages/accounts'));
const SegmentsPage = lazy(() => import('./pages/segments'));
const ReportsPage = lazy(() => import('./pages/reports'));
const MatrixPage = lazy(() => import('./pages/matrix'));
const ScorecardPage = lazy(() => import('./pages/scorecard'));
const TrendsPage = lazy(() => import('./pages/trends'));
const HuddlePage = lazy(() => import('./pages/huddle'));
const TasksPage = lazy(() => import('./pages/tasks'));
const PlaybooksPage = lazy(() => import('./pages/playbooks'));
const SettingsPage = lazy(() => import('./pages/settings'));
const NotificationsPage = lazy(() => import('./pages/notifications'));
const NotFoundPage = lazy(() => import('./pages/not-found'));

export function App() {
  return (
    <SessionProvider>
      <Gate />
    </SessionProvider>
  );
}

function Gate() {
  const { user, checking } = useSession();
  // Reached from an invitation or reset link, by people who cannot log in yet.
  if (useLocation().pathname === '/set-password') return <SetPasswordPage />;
  if (checking) return <Loading label="Starting Retain…" />;
  if (!user) return <LoginPage />;
  return (
    <LiveProvider>
      <Shell />
    </LiveProvider>
  );
}

const NAV = [
  { to: '/', label: 'Worklist', end: true },
  { to: '/accounts', label: 'Accounts' },
  { to: '/matrix', label: 'Risk matrix' },
  { to: '/scorecard', label: 'Scorecard' },
  { to: '/trends', label: 'Risk trends' },
  { to: '/huddle', label: 'Huddle' },
  { to: '/tasks', label: 'Tasks' },
  { to: '/playbooks', label: 'Playbooks' },
  { to: '/segments', label: 'Segments' },
  { to: '/reports', label: 'Reports' },
];

function Shell() {
  const user = useUser();
  const { logout } = useSession();
  const { status } = useLive();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Retain</span>
        <nav aria-label="Main">
          <ul>
            {[...NAV, ...(user.role === 'admin' ? [{ to: '/settings', label: 'Settings' }] : [])].map(
              (item) => (
                <li key={item.to}>
                  <NavLink to={item.to} end={'end' in item}>
                    {item.label}
                  </NavLink>
                </li>
              ),
            )}
          </ul>
        </nav>
        <GlobalSearch />
        <span className={`live live-${status}`} title="Changes by others appear as they happen" role="status">
          {status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Offline'}
        </span>
        <NotificationBell />
        <span className="whoami">
          {user.name} <span className="role">{user.role}</span>
        </span>
        <button type="button" className="link-button" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/" element={<WorklistPage />} />
            <Route path="/accounts" element={<AccountsPage />} />
            <Route path="/accounts/:id" element={<AccountPage />} />
            <Route path="/segments/*" element={<SegmentsPage />} />
            <Route path="/reports/*" element={<ReportsPage />} />
            <Route path="/matrix" element={<MatrixPage />} />
            <Route path="/scorecard" element={<ScorecardPage />} />
            <Route path="/trends" element={<TrendsPage />} />
            <Route path="/huddle" element={<HuddlePage />} />
            <Route path="/tasks" element={<TasksPage />} />
            <Route path="/playbooks" element={<PlaybooksPage />} />
            <Route path="/settings" element={<SettingsPage />} />
            <Route path="/notifications" element={<NotificationsPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Routes>
        </Suspense>
      </main>
    </>
  );
}
