// Login throttling as token buckets (GCRA: each bucket is one "theoretical arrival time", so
// taking a slot is one atomic compare-and-set in the store). A login attempt takes a slot from
// every bucket that applies before its password is checked; a success gives the slots back.
//
// Which buckets apply depends on how well the client is known to the account:
// - an unknown client is limited per address (attempts a minute, failures across all e-mails),
//   per (account, address), and per account, where the account bucket only slows guessing from
//   many addresses down (a slot a minute) and never locks anyone out for long;
// - a client that logged in to this account before (its address, or its browser's device cookie)
//   is limited only on its own (account, address) or (account, device) bucket, so strangers
//   hammering the account do not keep the user out.

import ipaddr from 'ipaddr.js';

export type LoginLimitName =
  | 'address_attempts'
  | 'address_failures'
  | 'account_address'
  | 'account_device'
  | 'account'
  | 'password_link_address';

/** What a successful login does with the slot it took: keep it, give it back, or refill the bucket. */
export type OnLoginSuccess = 'keep' | 'refund' | 'reset';

export interface LoginLimit {
  name: LoginLimitName;
  /** Slots a full bucket holds: how many attempts may come at once. */
  capacity: number;
  /** One slot comes back this often. */
  intervalMs: number;
  onSuccess: OnLoginSuccess;
}

export const LOGIN_LIMITS: Record<LoginLimitName, LoginLimit> = {
  // Every attempt from an unknown client, successful or not: 30 a minute per address.
  address_attempts: { name: 'address_attempts', capacity: 30, intervalMs: 2_000, onSuccess: 'keep' },
  // Failures from one address across all e-mails: 20 per 15 minutes.
  address_failures: { name: 'address_failures', capacity: 20, intervalMs: 45_000, onSuccess: 'refund' },
  // Failures for one account from one address: 5 per 15 minutes; a success clears them.
  account_address: { name: 'account_address', capacity: 5, intervalMs: 180_000, onSuccess: 'reset' },
  // The same for one account from a browser holding its device cookie.
  account_device: { name: 'account_device', capacity: 5, intervalMs: 180_000, onSuccess: 'reset' },
  // Failures for one account from all unknown clients: 10 at once, then one a minute.
  account: { name: 'account', capacity: 10, intervalMs: 60_000, onSuccess: 'refund' },
  // Set-password attempts (a link's token and a new password) from one address: 10 at once, then
  // one a minute; a password set gives its slot back.
  password_link_address: {
    name: 'password_link_address',
    capacity: 10,
    intervalMs: 60_000,
    onSuccess: 'refund',
  },
};

/** How long a client that logged in stays known to the account (its address and device cookie). */
export const LOGIN_TRUST_MS = 30 * 24 * 60 * 60_000;

/** How many addresses, and how many browsers, stay known per user; the oldest are forgotten first. */
export const LOGIN_TRUSTED_CLIENTS_PER_USER = 20;

/** How a login client is known to the account it tries. */
export type LoginTrust = { kind: 'none' } | { kind: 'address' } | { kind: 'device'; deviceKey: string };

export interface LoginBucket {
  limit: LoginLimit;
  key: string;
}

/**
 * The client a login is counted against: an IPv4 address as it is (IPv4-mapped IPv6 included), an
 * IPv6 address by its /64, since one host is routinely given a whole /64 and could try each
 * guess from another address in it.
 */
export function throttledClient(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${parts.join(':')}::/64`;
}

/** The buckets a login attempt takes a slot from, in the order they are taken. */
export function loginBuckets(email: string, clientAddress: string, trust: LoginTrust): LoginBucket[] {
  const address = throttledClient(clientAddress);
  // Addresses hold no spaces, so "address email" keys never collide.
  const pair = `${address} ${email}`;
  switch (trust.kind) {
    case 'device':
      return [{ limit: LOGIN_LIMITS.account_device, key: `${trust.deviceKey} ${email}` }];
    case 'address':
      return [{ limit: LOGIN_LIMITS.account_address, key: pair }];
    case 'none':
      return [
        { limit: LOGIN_LIMITS.address_attempts, key: address },
        { limit: LOGIN_LIMITS.address_failures, key: address },
        { limit: LOGIN_LIMITS.account_address, key: pair },
        { limit: LOGIN_LIMITS.account, key: email },
      ];
    default: {
      const never: never = trust;
      throw new Error(`unknown login trust ${JSON.stringify(never)}`);
    }
  }
}

/** The bucket a set-password attempt takes a slot from: its client's address. */
export function passwordLinkBucket(clientAddress: string): LoginBucket {
  return { limit: LOGIN_LIMITS.password_link_address, key: throttledClient(clientAddress) };
}

/** How far ahead of now a bucket's arrival time may be while it still has a slot. */
export function burstMs(limit: LoginLimit): number {
  return limit.intervalMs * (limit.capacity - 1);
}

/** Whole seconds until a bucket with arrival time `tatMs` has a slot again (at least 1). */
export function retryAfterSeconds(limit: LoginLimit, tatMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((tatMs - nowMs - burstMs(limit)) / 1000));
}

/** How long an empty bucket takes to fill again: throttled attempts are audited once per such window. */
export function refillMs(limit: LoginLimit): number {
  return limit.intervalMs * limit.capacity;
}
