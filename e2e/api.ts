// Looking things up through the public API as the logged-in user (the page's own cookies), to pick
// the cases a test works on.
import type { Page } from '@playwright/test';

export interface CaseRow {
  id: number;
  accountId: number;
  account: { name: string; ownerId: number | null; teamId: number | null };
  stage: { key: string; name: string };
  reasons: { key: string; name: string }[];
}

export async function me(page: Page): Promise<{ id: number; teamId: number | null; name: string }> {
  const response = await page.request.get('/api/v1/auth/session');
  const body = (await response.json()) as { user: { id: number; teamId: number | null; name: string } };
  return body.user;
}

export interface HuddleView {
  csms: { name: string; openCases: number; cases: unknown[] }[];
}

/** A team's huddle: its CSMs in the order the screen steps through them, each with their top cases. */
export async function huddle(page: Page, teamId: number | string): Promise<HuddleView> {
  const response = await page.request.get(`/api/v1/teams/${teamId}/huddle`);
  if (!response.ok()) throw new Error(`huddle query failed: ${response.status()} ${await response.text()}`);
  return (await response.json()) as HuddleView;
}

/** Open cases matching a worklist query, highest priority first. */
export async function openCases(page: Page, query: Record<string, string | number>): Promise<CaseRow[]> {
  const search = new URLSearchParams(
    Object.fromEntries(Object.entries(query).map(([key, value]) => [key, String(value)])),
  );
  const response = await page.request.get(`/api/v1/risk-cases?${search.toString()}`);
  if (!response.ok()) throw new Error(`worklist query failed: ${response.status()} ${await response.text()}`);
  return ((await response.json()) as { items: CaseRow[] }).items;
}
