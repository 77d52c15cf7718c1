// Saved segments: their member counts, members and entry/exit history.
import { z } from 'zod';
import type { Services } from '../../services';
import type { RefreshResult, SegmentMember, SegmentView } from '../../services/saved-segments';
import type { MembershipEvent } from '../../store/saved-segment.repository';
import { day, exactly, id, listOf, pageOf, timestamp, type Answer } from './shared';

export const segmentSchema = exactly<SegmentView>()(
  z
    .object({
      id,
      key: z.string(),
      name: z.string(),
      description: z.string().nullable(),
      filter: z.string(),
      createdByUserId: id.nullable(),
      memberCount: z.number().int().describe('Members as of the last refresh'),
      liveCount: z
        .number()
        .int()
        .optional()
        .describe('Accounts matching the filter right now: with `live=true`, and in the answer to a save'),
      refreshedAt: timestamp.nullable(),
      createdAt: timestamp,
      updatedAt: timestamp,
      version: z.number().int().describe('Send it back with a change; 409 VERSION_CONFLICT when it moved on'),
    })
    .meta({ id: 'SavedSegment' }),
);

export const segmentsResponse = listOf(segmentSchema);

export const segmentAccountSchema = exactly<SegmentMember>()(
  z
    .object({
      id,
      externalId: z.string(),
      name: z.string(),
      tier: z.string().nullable(),
      arr: z.number(),
      renewalDate: day.nullable(),
      ownerEmail: z.string().nullable(),
      teamName: z.string().nullable(),
      health: z
        .object({ score: z.number(), band: z.string() })
        .nullable()
        .describe('The latest health score; null before the account was first scored'),
    })
    .meta({ id: 'SegmentAccount' }),
);

export const segmentPreviewResponse = exactly<Answer<Services['segments']['preview']>>()(
  z.object({
    count: z.number().int().describe('Accounts the filter matches'),
    items: z.array(segmentAccountSchema),
  }),
);

export const segmentMembersResponse = exactly<Answer<Services['segments']['members']>>()(
  pageOf(segmentAccountSchema),
);

const refreshResultSchema = exactly<RefreshResult>()(
  z
    .object({
      segmentId: id,
      key: z.string(),
      entered: z.number().int().describe('Accounts that entered with this refresh'),
      left: z.number().int().describe('Accounts that left with this refresh'),
      members: z.number().int().describe('Members after it'),
    })
    .meta({ id: 'SegmentRefreshResult' }),
);

export const segmentRefreshResponse = listOf(refreshResultSchema);

export const segmentRefreshOneResponse = refreshResultSchema;

export const membershipEventsResponse = listOf(
  exactly<MembershipEvent>()(
    z
      .object({
        id,
        segmentId: id,
        accountId: id,
        externalId: z.string(),
        accountName: z.string(),
        kind: z.enum(['entered', 'left']),
        at: timestamp,
      })
      .meta({ id: 'SegmentMembershipEvent' }),
  ),
);
