// Loading, empty and error states, the same on every screen.
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children && <p>{children}</p>}
    </div>
  );
}

/** What went wrong, in the API's words, with its stable code and a retry. */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const message = error instanceof Error ? error.message : 'Something went wrong.';
  const code = error instanceof ApiError ? error.code : null;
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">Could not load this.</p>
      <p>
        {message}
        {code && <span className="code"> ({code})</span>}
      </p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** An inline message after a failed action. */
export function ActionError({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : 'Something went wrong.';
  const code = error instanceof ApiError ? ` (${error.code})` : '';
  return (
    <p className="action-error" role="alert">
      {message}
      {code}
    </p>
  );
}
