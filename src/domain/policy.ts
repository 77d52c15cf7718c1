// Who may do what. One declarative table, checked by services before any write.
import { AppError } from './errors';

export const ROLES = ['admin', 'lead', 'csm', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated party behind a request or command. */
export interface Actor {
  userId: number | null;
  role: Role;
  teamId: number | null;
  /** How the actor appears in the audit log: an email, `token:<name>` or `system`. */
  label: string;
}

/** The account a permission is checked against, when it concerns one. */
export interface AccountScope {
  ownerId: number | null;
  teamId: number | null;
}

export type Permission =
  | 'read'
  | 'account.write'
  | 'contact.write'
  | 'case.write'
  | 'segments.write'
  | 'config.write'
  | 'users.manage'
  | 'data.import';

const inTeam = (actor: Actor, scope?: AccountScope) =>
  actor.teamId !== null && scope !== undefined && scope.teamId === actor.teamId;
const owns = (actor: Actor, scope?: AccountScope) =>
  actor.userId !== null && scope !== undefined && scope.ownerId === actor.userId;

/** Whether an actor holds a permission, optionally on one account. */
export function can(actor: Actor, permission: Permission, scope?: AccountScope): boolean {
  if (actor.role === 'admin') return true;
  switch (permission) {
    case 'read':
      return true;
    case 'account.write':
      return actor.role === 'lead' && inTeam(actor, scope);
    case 'contact.write':
    case 'case.write':
      return (actor.role === 'lead' && inTeam(actor, scope)) || (actor.role === 'csm' && owns(actor, scope));
    case 'segments.write':
      return actor.role === 'lead';
    case 'config.write':
    case 'users.manage':
    case 'data.import':
      return false;
  }
}

/** Throws FORBIDDEN unless the actor holds the permission. */
export function assertCan(actor: Actor, permission: Permission, scope?: AccountScope): void {
  if (!can(actor, permission, scope)) {
    throw new AppError('FORBIDDEN', `Role "${actor.role}" may not ${describe(permission)}.`, { permission });
  }
}

function describe(permission: Permission): string {
  switch (permission) {
    case 'read':
      return 'read data';
    case 'account.write':
      return 'change this account';
    case 'contact.write':
      return "change this account's contacts";
    case 'case.write':
      return "change this account's risk case";
    case 'segments.write':
      return 'change segments';
    case 'config.write':
      return 'change configuration';
    case 'users.manage':
      return 'manage users and teams';
    case 'data.import':
      return 'import data';
  }
}

export const SYSTEM_ACTOR: Actor = { userId: null, role: 'admin', teamId: null, label: 'system' };

/** Detection acting on its own cases (closing one whose signs cleared), named so in the history. */
export const DETECTION_ACTOR: Actor = { userId: null, role: 'admin', teamId: null, label: 'detection' };
