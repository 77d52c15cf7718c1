// Live updates: follows /api/v1/events while logged in, refreshes what a change touches, and
// remembers which cases changed a moment ago so the worklist can show them.
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { Change } from './api/types';

export type LiveStatus = 'connecting' | 'live' | 'offline';

interface LiveState {
  status: LiveStatus;
  /** Case ids changed in the last few seconds, by someone or something else or by you. */
  recentCases: ReadonlySet<number>;
}

const LiveContext = createContext<LiveState>({ status: 'offline', recentCases: new Set() });
const FLASH_MS = 4000;

/** The queries a change makes stale, by what changed. */
function invalidate(client: QueryClient, changes: readonly Change[]): void {
  const kinds = new Set(changes.map((change) => change.entityType));
  const stale: string[] = [];
  if (kinds.has('risk_case')) stale.push('risk-cases', 'case', 'matrix', 'huddle', 'trends');
  if (kinds.has('task')) stale.push('tasks');
  if (kinds.has('account') || kinds.has('contact')) stale.push('risk-cases', 'accounts');
  if (kinds.has('risk_stage')) stale.push('stages');
  if (kinds.has('risk_reason')) stale.push('reasons');
  if (kinds.has('settings')) stale.push('settings', 'risk-cases');
  if (kinds.has('play')) stale.push('plays');
  if (kinds.has('segment')) stale.push('segments');
  if (kinds.has('user') || kinds.has('team')) stale.push('users', 'teams');
  if (kinds.has('api_token')) stale.push('tokens');
  // The server sends a user the changes to their own inbox only.
  if (kinds.has('notification')) stale.push('notifications');
  for (const key of new Set(stale)) void client.invalidateQueries({ queryKey: [key] });
  for (const accountId of new Set(changes.map((change) => change.accountId)))
    if (accountId !== null) void client.invalidateQueries({ queryKey: ['account', accountId] });
}

export function LiveProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [recentCases, setRecentCases] = useState<ReadonlySet<number>>(new Set());

  useEffect(() => {
    const source = new EventSource('/api/v1/events');
    let pending: Change[] = [];
    let flush: number | null = null;
    const timers = new Set<number>();
    source.onopen = () => setStatus('live');
    source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    source.addEventListener('change', (event: MessageEvent<string>) => {
      pending.push(JSON.parse(event.data) as Change);
      // Changes come in bursts (a stage move writes several entries): refresh once per burst.
      flush ??= window.setTimeout(() => {
        const batch = pending;
        pending = [];
        flush = null;
        invalidate(client, batch);
        const cases = batch
          .filter((change) => change.entityType === 'risk_case')
          .map((change) => Number(change.entityId));
        if (cases.length === 0) return;
        setRecentCases((current) => new Set([...current, ...cases]));
        const timer = window.setTimeout(() => {
          timers.delete(timer);
          setRecentCases((current) => new Set([...current].filter((id) => !cases.includes(id))));
        }, FLASH_MS);
        timers.add(timer);
      }, 150);
    });
    return () => {
      source.close();
      if (flush !== null) window.clearTimeout(flush);
      for (const timer of timers) window.clearTimeout(timer);
    };
  }, [client]);

  return <LiveContext.Provider value={{ status, recentCases }}>{children}</LiveContext.Provider>;
}

export const useLive = () => useContext(LiveContext);
