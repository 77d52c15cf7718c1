// JSON columns are stored as text on both stores; these helpers keep parsing in one place.

import type { Attributes } from '../domain/account';

export function parseAttributes(text: string): Attributes {
  const value: unknown = JSON.parse(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Attributes) : {};
}

export function parseJsonObject(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
