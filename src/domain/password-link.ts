// Set-password links: how long each kind lasts, and whether one may still be used.

/** An invitation lets a new user choose a first password; a reset replaces a forgotten one. */
export type PasswordLinkPurpose = 'invitation' | 'reset';

export const PASSWORD_LINK_PURPOSES: readonly PasswordLinkPurpose[] = ['invitation', 'reset'];

const HOUR_MS = 3_600_000;

/** How long a link works after it is sent: a week for an invitation, a day for a reset. */
export const PASSWORD_LINK_LIFETIME_MS: Record<PasswordLinkPurpose, number> = {
  invitation: 7 * 24 * HOUR_MS,
  reset: 24 * HOUR_MS,
};

/** When a link sent at `now` stops working. */
export function passwordLinkExpiry(purpose: PasswordLinkPurpose, now: Date): Date {
  return new Date(now.getTime() + PASSWORD_LINK_LIFETIME_MS[purpose]);
}

/** Whether a stored link can still set a password at `now`. */
export function passwordLinkUsable(link: { expiresAt: string; usedAt: string | null }, now: Date): boolean {
  return link.usedAt === null && new Date(link.expiresAt).getTime() > now.getTime();
}
