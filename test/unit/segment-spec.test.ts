import { describe, expect, it } from 'vitest';
import { readSegmentMessage } from '../../src/domain/segment-spec';

const receivedAt = new Date('2026-03-02T09:00:00.000Z');
const read = (message: unknown, batchSentAt?: unknown) =>
  readSegmentMessage(message, { receivedAt, batchSentAt });

describe('reading Segment messages', () => {
  it('corrects the sender clock with sentAt, from the message or its batch, and keeps a lone timestamp', () => {
    // The sender is 10 minutes slow: it says it sent at 08:50 what happened at 08:49.
    const skewed = read(
      { type: 'track', event: 'E', userId: 'u', timestamp: '2026-03-02T08:49:00Z' },
      '2026-03-02T08:50:00Z',
    );
    expect(skewed).toMatchObject({ ok: true, call: { at: '2026-03-02T08:59:00.000Z' } });
    const own = read({
      type: 'track',
      event: 'E',
      userId: 'u',
      originalTimestamp: '2026-03-02T08:49:00Z',
      timestamp: '2020-01-01T00:00:00Z',
      sentAt: '2026-03-02T08:50:00Z',
    });
    expect(own).toMatchObject({ ok: true, call: { at: '2026-03-02T08:59:00.000Z' } });
    const history = read({ type: 'track', event: 'E', userId: 'u', timestamp: '2025-06-01T12:00:00+02:00' });
    expect(history).toMatchObject({ ok: true, call: { at: '2025-06-01T10:00:00.000Z' } });
    expect(read({ type: 'track', event: 'E', userId: 'u' })).toMatchObject({
      call: { at: receivedAt.toISOString() },
    });
    expect(
      read({ type: 'track', event: 'E', userId: 'u', timestamp: '2026-03-02T08:49:00Z' }, 'yesterday'),
    ).toEqual({
      ok: false,
      issues: [{ field: '(batch).sentAt', message: 'is not an ISO-8601 timestamp with a zone' }],
    });
  });

  it('coerces number traits only when they cannot be read two ways', () => {
    expect(read({ type: 'group', groupId: 7, userId: 'u', traits: { arr: '12000' } })).toMatchObject({
      ok: true,
      call: { groupId: '7', arr: 12_000 },
    });
    for (const arr of ['12,000', '€ 2.000', '1.200,50', 'TBD', true]) {
      const result = read({ type: 'group', groupId: 'G', traits: { arr } });
      expect(result).toMatchObject({ ok: false, issues: [{ field: 'traits.arr' }] });
    }
    expect(read({ type: 'group', groupId: 'G', traits: { arr: -5 } })).toMatchObject({ ok: false });
  });

  it('keeps nested traits as dotted attributes and names from first and last name', () => {
    const group = read({
      type: 'group',
      groupId: 'G',
      traits: {
        name: 'G Co',
        plan: 'Pro',
        address: { city: 'Lyon', geo: { lat: 45.7 } },
        tags: ['x'],
        __proto__: 1,
      },
    });
    expect(group).toMatchObject({
      ok: true,
      call: {
        name: 'G Co',
        tier: 'Pro',
        attributes: { 'address.city': 'Lyon', 'address.geo.lat': 45.7, tags: '["x"]' },
      },
    });
    const identify = read({
      type: 'identify',
      userId: 'u',
      traits: {
        email: 'a@b.example',
        firstName: 'Ana',
        lastName: 'Lopez',
        company: { id: 'ACME', name: 'Acme' },
      },
    });
    expect(identify).toMatchObject({
      ok: true,
      call: { groupId: 'ACME', contact: { email: 'a@b.example', name: 'Ana Lopez', attributes: {} } },
    });
  });

  it('reads page and screen as usage with their names, alias as two ids, and refuses unknown types', () => {
    expect(
      read({ type: 'page', userId: 'u', name: 'Pricing', category: 'Docs', properties: { path: '/p' } }),
    ).toMatchObject({
      ok: true,
      call: {
        type: 'page',
        event: 'Page Viewed',
        properties: { path: '/p', name: 'Pricing', category: 'Docs' },
      },
    });
    expect(read({ type: 'screen', anonymousId: 'a1', name: 'Home' })).toMatchObject({
      call: { event: 'Screen Viewed', anonymousId: 'a1' },
    });
    expect(read({ type: 'alias', previousId: 'anon-1', userId: 'u-1' })).toMatchObject({
      ok: true,
      call: { previousId: 'anon-1', userId: 'u-1' },
    });
    expect(read({ type: 'alias', userId: 'u-1' })).toMatchObject({
      ok: false,
      issues: [{ field: 'previousId' }],
    });
    expect(read({ type: 'Track', event: 'E' })).toMatchObject({ ok: false, issues: [{ field: 'type' }] });
    expect(read('not an object')).toMatchObject({ ok: false, issues: [{ field: 'type' }] });
  });

  it('refuses what would be stored wrong: epoch seconds, an identify about nobody; keeps a company name', () => {
    const seconds = Math.floor(receivedAt.getTime() / 1000);
    expect(read({ type: 'track', event: 'E', userId: 'u', timestamp: seconds })).toMatchObject({
      ok: false,
      issues: [{ field: 'timestamp', message: expect.stringContaining('epoch milliseconds') as string }],
    });
    expect(read({ type: 'track', event: 'E', userId: 'u', timestamp: receivedAt.getTime() })).toMatchObject({
      ok: true,
      call: { at: receivedAt.toISOString() },
    });
    expect(read({ type: 'identify', traits: { email: 'y@acme.example' } })).toMatchObject({
      ok: false,
      issues: [{ field: 'userId' }],
    });
    expect(
      read({ type: 'identify', userId: 'u', traits: { email: 'z@acme.example', company: 'Acme Inc' } }),
    ).toMatchObject({
      ok: true,
      call: { groupId: null, contact: { attributes: { company: 'Acme Inc' } } },
    });
  });
});
