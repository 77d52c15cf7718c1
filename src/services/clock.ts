// Time is a dependency: services ask the clock, tests hand in one they control.
import { AppError } from '../domain/errors';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * The clock of a process: the system clock, or a fixed instant when RETAIN_NOW is set (an ISO
 * timestamp), so a demo book, an export or a report can be reproduced exactly.
 */
export function processClock(env: NodeJS.ProcessEnv = process.env): Clock {
  const pinned = env.RETAIN_NOW;
  if (pinned === undefined || pinned === '') return systemClock;
  const at = new Date(pinned);
  if (Number.isNaN(at.getTime()))
    throw new AppError('INVALID_DATE', `RETAIN_NOW must be an ISO timestamp, not "${pinned}".`, {
      field: 'RETAIN_NOW',
    });
  return { now: () => new Date(at) };
}

/** A clock that stands still until moved; for tests and for generating history. */
export class ManualClock implements Clock {
  private current: Date;

  constructor(start: Date | string) {
    this.current = new Date(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  set(to: Date | string): void {
    this.current = new Date(to);
  }

  advanceDays(days: number): void {
    this.advanceMs(days * 86_400_000);
  }

  advanceHours(hours: number): void {
    this.advanceMs(hours * 3_600_000);
  }

  advanceMinutes(minutes: number): void {
    this.advanceMs(minutes * 60_000);
  }

  advanceMs(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
