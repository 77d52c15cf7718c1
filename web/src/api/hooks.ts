// Queries and changes several screens share. Query keys start with what they hold, so a change
// event can refresh them by kind (see live.tsx).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './client';
import type { Items, Reason, RiskCaseDetail, Settings, Stage, Team, UserAsSeen } from './types';

const CONFIG_STALE_MS = 5 * 60_000;

export const useStages = () =>
  useQuery({
    queryKey: ['stages'],
    queryFn: () => api<Items<Stage>>('/risk-stages').then((data) => data.items),
    staleTime: CONFIG_STALE_MS,
  });

export const useReasons = () =>
  useQuery({
    queryKey: ['reasons'],
    queryFn: () => api<Items<Reason>>('/risk-reasons').then((data) => data.items),
    staleTime: CONFIG_STALE_MS,
  });

export const useUsers = () =>
  useQuery({
    queryKey: ['users'],
    queryFn: () => api<Items<UserAsSeen>>('/users').then((data) => data.items),
    staleTime: CONFIG_STALE_MS,
  });

export const useTeams = () =>
  useQuery({
    queryKey: ['teams'],
    queryFn: () => api<Items<Team>>('/teams').then((data) => data.items),
    staleTime: CONFIG_STALE_MS,
  });

export const useSettings = () =>
  useQuery({ queryKey: ['settings'], queryFn: () => api<Settings>('/settings'), staleTime: CONFIG_STALE_MS });

/** After a case changes: every view of cases is stale. */
export function useCaseChanged() {
  const client = useQueryClient();
  return (updated: RiskCaseDetail) => {
    client.setQueryData(['case', updated.id], updated);
    for (const key of ['risk-cases', 'matrix', 'huddle', 'account', 'tasks'])
      void client.invalidateQueries({ queryKey: [key] });
  };
}

export function useMoveStage() {
  const changed = useCaseChanged();
  return useMutation({
    mutationFn: (input: { id: number; stage: string; version?: number; note?: string }) =>
      api<RiskCaseDetail>(`/risk-cases/${input.id}/stage`, {
        method: 'POST',
        body: { stage: input.stage, version: input.version, note: input.note },
      }),
    onSuccess: changed,
  });
}

export function useSetReasons() {
  const changed = useCaseChanged();
  return useMutation({
    mutationFn: (input: { id: number; reasons: string[]; version?: number }) =>
      api<RiskCaseDetail>(`/risk-cases/${input.id}/reasons`, {
        method: 'PUT',
        body: { reasons: input.reasons, version: input.version },
      }),
    onSuccess: changed,
  });
}

export function useUpdateCaseDetails() {
  const changed = useCaseChanged();
  return useMutation({
    mutationFn: (input: {
      id: number;
      expected?: boolean | null;
      avoidable?: boolean | null;
      version?: number;
    }) => {
      const { id, ...body } = input;
      return api<RiskCaseDetail>(`/risk-cases/${id}`, { method: 'PATCH', body });
    },
    onSuccess: changed,
  });
}
