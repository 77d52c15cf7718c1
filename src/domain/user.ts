// Users and teams of a CS organisation.
import type { Role } from './policy';

export interface Team {
  id: number;
  name: string;
  createdAt: string;
}

/** Where a user stands: can log in, has an invitation but no password yet, or was deactivated. */
export type UserStatus = 'active' | 'invited' | 'deactivated';

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

/** A user's status from whether they are active and have a password. */
export function userStatus(active: boolean, hasPassword: boolean): UserStatus {
  if (!active) return 'deactivated';
  return hasPassword ? 'active' : 'invited';
}
