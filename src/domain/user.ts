// Users and teams of a CS organisation.
import type { Role } from './policy';

export interface Team {
  id: number;
  name: string;
  createdAt: string;
}

export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  teamId: number | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}
