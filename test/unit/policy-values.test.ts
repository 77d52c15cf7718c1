import { describe, expect, it } from 'vitest';
import { can, type Actor } from '../../src/domain/policy';
import { parseCalendarDate, parseEmail, parseFlag, parseMoney, valueLocale } from '../../src/domain/values';
import { accountMapping, parseMappingOption } from '../../src/services/csv-mapping';
import { isAppError } from '../../src/domain/errors';
import { processClock } from '../../src/services/clock';

const actor = (role: Actor['role'], userId = 10, teamId: number | null = 1): Actor => ({
  userId,
  role,
  teamId,
  label: role,
});

describe('roles', () => {
  const ownAccount = { ownerId: 10, teamId: 1 };
  const teamAccount = { ownerId: 11, teamId: 1 };
  const otherTeam = { ownerId: 12, teamId: 2 };

  it('lets admins do everything and viewers only read', () => {
    expect(can(actor('admin'), 'config.write')).toBe(true);
    expect(can(actor('viewer'), 'read')).toBe(true);
    for (const permission of [
      'account.write',
      'contact.write',
      'case.write',
      'config.write',
      'users.manage',
      'data.import',
    ] as const) {
      expect(can(actor('viewer'), permission, ownAccount)).toBe(false);
    }
  });

  it('lets leads change their own team only', () => {
    expect(can(actor('lead'), 'case.write', teamAccount)).toBe(true);
    expect(can(actor('lead'), 'account.write', teamAccount)).toBe(true);
    expect(can(actor('lead'), 'case.write', otherTeam)).toBe(false);
    expect(can(actor('lead'), 'config.write')).toBe(false);
  });

  it("lets CSMs work their own accounts' cases but not accounts themselves", () => {
    expect(can(actor('csm'), 'case.write', ownAccount)).toBe(true);
    expect(can(actor('csm'), 'case.write', teamAccount)).toBe(false);
    expect(can(actor('csm'), 'account.write', ownAccount)).toBe(false);
  });
});

describe('value parsing', () => {
  it('reads ISO and US dates and rejects impossible ones', () => {
    expect(parseCalendarDate('2026-02-28')).toEqual({ ok: true, value: '2026-02-28' });
    expect(parseCalendarDate('12/7/2026').ok).toBe(false); // 7 December or 12 July: which is the file's?
    expect(parseCalendarDate('3/17/2026')).toEqual({ ok: true, value: '2026-03-17' });
    expect(parseCalendarDate('2026-02-30').ok).toBe(false);
    expect(parseCalendarDate('next tuesday').ok).toBe(false);
    // A year written short is never read as the year 26.
    for (const short of ['4 Mar 26', 'Mar 4, 26', '12/31/26', '4 Mar 202'])
      expect(parseCalendarDate(short).ok, short).toBe(false);
    expect(parseCalendarDate('13/14/2026')).toEqual({
      ok: false,
      message: '"13/14/2026" is not a day of the calendar',
    });
  });

  it('reads money with symbols and separators', () => {
    expect(parseMoney('$12,500.50')).toEqual({ ok: true, value: 12500.5 });
    expect(parseMoney('USD 900')).toEqual({ ok: true, value: 900 });
    expect(parseMoney('-5').ok).toBe(false);
    expect(parseMoney('ten').ok).toBe(false);
  });

  it('reads money only the way the locale writes it, and lakh grouping under en-IN', () => {
    const us = valueLocale('en-US') ?? undefined;
    const de = valueLocale('de-DE') ?? undefined;
    const india = valueLocale('en-IN') ?? undefined;
    // A comma with two digits after it is a decimal mark, unless the file says commas group thousands.
    expect(parseMoney('12,50')).toEqual({ ok: true, value: 12.5 });
    expect(parseMoney('12,50', us)).toMatchObject({ ok: false });
    expect(parseMoney('12.5', de)).toMatchObject({ ok: false });
    expect(parseMoney('12,5', de)).toEqual({ ok: true, value: 12.5 });
    expect(parseMoney('1.234.567', us)).toMatchObject({ ok: false });
    expect(parseMoney('1.234.567', de)).toEqual({ ok: true, value: 1_234_567 });
    expect(parseMoney('1,234,567', de)).toMatchObject({ ok: false });
    // India writes 12,34,567 (twelve lakh ...): read under en-IN, refused elsewhere with the hint.
    expect(parseMoney('₹12,34,567.50', india)).toEqual({ ok: true, value: 1_234_567.5 });
    expect(parseMoney('1,234,567', india)).toEqual({ ok: true, value: 1_234_567 });
    const lakh = parseMoney('12,34,567');
    expect(lakh).toMatchObject({ ok: false });
    expect(lakh.ok ? '' : lakh.message).toContain('en-IN');
    expect(parseMoney('12,34,567', us)).toMatchObject({ ok: false });
  });

  it('reads flags and emails', () => {
    expect(parseFlag('Yes')).toEqual({ ok: true, value: true });
    expect(parseFlag('maybe').ok).toBe(false);
    expect(parseEmail(' Ann@Example.COM ')).toEqual({ ok: true, value: 'ann@example.com' });
    expect(parseEmail('ann@').ok).toBe(false);
  });
});

describe('CSV column mapping', () => {
  it('recognises Salesforce and HubSpot headers and keeps the rest as attributes', () => {
    const mapping = accountMapping([
      'Account ID',
      'Account Name',
      'Account Owner Email',
      'ARR',
      'Contract End Date',
      'Industry',
    ]);
    expect(mapping).toEqual([
      { kind: 'field', field: 'externalId' },
      { kind: 'field', field: 'name' },
      { kind: 'field', field: 'ownerEmail' },
      { kind: 'field', field: 'arr' },
      { kind: 'field', field: 'renewalDate' },
      { kind: 'attribute', name: 'Industry' },
    ]);
    expect(accountMapping(['Record ID', 'Company name', 'Company owner'])[2]).toEqual({
      kind: 'field',
      field: 'ownerEmail',
    });
  });

  it('lets an explicit mapping win and rejects unknown targets and columns', () => {
    const mapping = accountMapping(
      ['Acct', 'Title', 'Plan'],
      parseMappingOption('Acct=externalId,Title=name,Plan=tier'),
    );
    expect(mapping.map((m) => (m.kind === 'field' ? m.field : m.kind))).toEqual([
      'externalId',
      'name',
      'tier',
    ]);
    expect(parseMappingOption('{"Acct, main": "externalId", "Plan=2": "tier"}')).toEqual({
      'Acct, main': 'externalId',
      'Plan=2': 'tier',
    });
    expect(() => parseMappingOption('{"Acct": 3}')).toThrow(/must be a field name/);
    expect(() => parseMappingOption('{oops')).toThrow(/not valid JSON/);
    expect(() => accountMapping(['Acct'], { Acct: 'nonsense' })).toThrow(/unknown field "nonsense"/);
    try {
      accountMapping(['Acct'], { Missing: 'name' });
      expect.fail('expected an error');
    } catch (error) {
      expect(isAppError(error, 'IMPORT_MAPPING_INVALID')).toBe(true);
    }
  });
});

describe('process clock', () => {
  it('follows the system clock unless RETAIN_NOW pins it', () => {
    expect(processClock({}).now().getTime()).toBeGreaterThan(Date.parse('2026-01-01'));
    expect(processClock({ RETAIN_NOW: '2026-06-01T12:00:00Z' }).now().toISOString()).toBe(
      '2026-06-01T12:00:00.000Z',
    );
    expect(() => processClock({ RETAIN_NOW: 'yesterday' })).toThrow(/RETAIN_NOW must be an ISO timestamp/);
  });
});
