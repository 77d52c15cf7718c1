// Reports: the monthly risk report of a team, the churn analysis, and the health score's backtest
// against the store's own history, each a page of its own under one sub-navigation.
import { lazy, Suspense } from 'react';
import { Navigate, NavLink, Route, Routes } from 'react-router';
import { Loading } from '../components/states';
import NotFoundPage from './not-found';
import './reports/reports.css';

const MonthlyReportPage = lazy(() => import('./reports/monthly'));
const ChurnAnalysisPage = lazy(() => import('./reports/churn'));
const BacktestPage = lazy(() => import('./reports/backtest'));

export const REPORT_PAGES = [
  { path: 'monthly', label: 'Monthly risk report' },
  { path: 'churn', label: 'Churn analysis' },
  { path: 'health-backtest', label: 'Health score backtest' },
] as const;

export default function ReportsPage() {
  return (
    <>
      <nav className="sub-nav" aria-label="Reports">
        <ul>
          {REPORT_PAGES.map((page) => (
            <li key={page.path}>
              <NavLink to={`/reports/${page.path}`}>{page.label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route index element={<Navigate to="monthly" replace />} />
          <Route path="monthly" element={<MonthlyReportPage />} />
          <Route path="churn" element={<ChurnAnalysisPage />} />
          <Route path="health-backtest" element={<BacktestPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </Suspense>
    </>
  );
}
