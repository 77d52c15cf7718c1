// Users and teams of a CS organisation.
import type { Role } from './policy';

export interface Team {
  id: number;
  name: string;
  createdAt: string;
}

/**
 * Where a user stands: can log in; has an invitation but no password yet; was sent a password
 * reset (the old password no longer works); or was deactivated.
 */
export type UserStatus = 'active' | 'invited' | 'password_reset' | 'deactivated';

export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  teamId: number | null;
  active: boolean;
  status: UserStatus;
  /** When the user last logged in; null when never (or before Retain kept it). */
  lastLoginAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What only admins see of other users: where each stands, and when they last logged in or changed. */
type AdminOnly = 'status' | 'lastLoginAt' | 'updatedAt';

/**
 * A user as another user sees them: an admin sees where each user stands and when they last
 * logged in; everyone else sees who their colleagues are, and whether they are active (not when a
 * password was reset either: that moves `updatedAt`).
 */
export type UserAsSeen = Omit<User, AdminOnly> & Partial<Pick<User, AdminOnly>>;

export function userAsSeenBy(viewer: { role: Role }, user: User): UserAsSeen {
  if (viewer.role === 'admin') return user;
  const { status: _status, lastLoginAt: _lastLoginAt, updatedAt: _updatedAt, ...seen } = user;
  return seen;
}

/** A user's status from whether they are active, have a password, and were sent a reset. */
export function userStatus(active: boolean, hasPassword: boolean, resetPending: boolean): UserStatus {
  if (!active) return 'deactivated';
  if (hasPassword) return 'active';
  return resetPending ? 'password_reset' : 'invited';
}
