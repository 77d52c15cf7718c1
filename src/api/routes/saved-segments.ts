// Saved segments: account filters with their member counts, their members and their entry/exit history.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FIELD_NAMES } from '../../domain/segment-filter';
import type { Services } from '../../services';
import { actorOf } from '../auth-hook';
import {
  membershipEventsResponse,
  noContent,
  segmentMembersResponse,
  segmentPreviewResponse,
  segmentRefreshOneResponse,
  segmentRefreshResponse,
  segmentSchema,
  segmentsResponse,
} from '../responses';
import { idParams, pageQuery, queryFlag } from '../schemas';

const page = z.object(pageQuery);
const liveQuery = z.object({ live: queryFlag.default(false) });

const FILTER_HELP =
  'Filter language: `field op value` joined by and / or / not and parentheses, e.g. ' +
  '`tier = "Enterprise" and renewal within 90 days`, `health.change(30d) <= -20%`, ' +
  '`tickets.opened(30d) > 5`, `risk.reason in ("budget", "champion_left")`, `attributes.region = "EMEA"`. ' +
  `Fields: ${FIELD_NAMES.join(', ')}.`;

export const savedSegmentRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/segments',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listSegments',
          querystring: liveQuery,
          response: { 200: segmentsResponse },
          summary: 'List saved segments with their member counts',
          tags: ['segments'],
          description:
            'Every saved segment with its members as of its last refresh (`memberCount`, `refreshedAt`): ' +
            'membership is brought up to date after every ingest for the accounts it touched, by the ' +
            'daily run, and whenever a filter is saved. With `live=true` each segment is also counted ' +
            'now (`liveCount`), which on a large book takes seconds for windowed usage filters.',
        },
      },
      async (request) => ({ items: await services.segments.list({ live: request.query.live }) }),
    );

    app.post(
      '/segments',
      {
        config: { access: 'segments.write' },
        schema: {
          operationId: 'createSegment',
          response: { 201: segmentSchema },
          summary: 'Save a segment',
          tags: ['segments'],
          description: `Save a segment (leads and admins). ${FILTER_HELP}`,
          body: z.record(z.string(), z.unknown()),
        },
      },
      async (request, reply) =>
        reply.code(201).send(await services.segments.create(actorOf(request), request.body)),
    );

    app.post(
      '/segments/preview',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'previewSegment',
          response: { 200: segmentPreviewResponse },
          summary: 'Preview a segment filter',
          tags: ['segments'],
          description: `Count and list the accounts a filter matches now, without saving it. ${FILTER_HELP}`,
          body: z.object({ filter: z.string().min(1).max(4000) }),
          querystring: page,
        },
      },
      (request) => services.segments.preview(request.body.filter, request.query),
    );

    app.post(
      '/segments/refresh',
      {
        config: { access: 'segments.write' },
        schema: {
          operationId: 'refreshSegments',
          response: { 200: segmentRefreshResponse },
          summary: "Refresh every segment's membership",
          tags: ['segments'],
          description: 'Bring every segment’s membership up to date now, recording entries and exits.',
        },
      },
      async () => ({ items: await services.segments.refresh() }),
    );

    app.post(
      '/segments/:id/refresh',
      {
        config: { access: 'segments.write' },
        schema: {
          operationId: 'refreshSegment',
          response: { 200: segmentRefreshOneResponse },
          summary: "Refresh one segment's membership",
          tags: ['segments'],
          description:
            'Bring this segment’s membership up to date now, recording entries and exits (leads and admins).',
          params: idParams,
        },
      },
      (request) => services.segments.refreshOne(actorOf(request), request.params.id),
    );

    app.get(
      '/segments/:id',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getSegment',
          response: { 200: segmentSchema },
          summary: 'Get a segment',
          tags: ['segments'],
          description:
            'A segment with its members as of its last refresh; with `live=true` also counted now (`liveCount`).',
          params: idParams,
          querystring: liveQuery,
        },
      },
      (request) => services.segments.get(request.params.id, { live: request.query.live }),
    );

    app.patch(
      '/segments/:id',
      {
        config: { access: 'segments.write' },
        schema: {
          operationId: 'updateSegment',
          response: { 200: segmentSchema },
          summary: 'Change a segment',
          tags: ['segments'],
          description: 'Change a segment; send the `version` you read (409 VERSION_CONFLICT when stale).',
          params: idParams,
          body: z.record(z.string(), z.unknown()),
        },
      },
      (request) => services.segments.update(actorOf(request), request.params.id, request.body),
    );

    app.delete(
      '/segments/:id',
      {
        config: { access: 'segments.write' },
        schema: {
          operationId: 'deleteSegment',
          response: { 204: noContent },
          summary: 'Delete a segment',
          tags: ['segments'],
          params: idParams,
        },
      },
      async (request, reply) => {
        await services.segments.delete(actorOf(request), request.params.id);
        return reply.status(204).send();
      },
    );

    app.get(
      '/segments/:id/members',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listSegmentMembers',
          response: { 200: segmentMembersResponse },
          summary: "A segment's members",
          tags: ['segments'],
          description:
            'The segment’s members as of its last refresh, by name (`total` is its `memberCount`); with ' +
            '`live=true`, the accounts matching its filter now.',
          params: idParams,
          querystring: page.extend(liveQuery.shape),
        },
      },
      (request) => {
        const { live, ...paging } = request.query;
        return services.segments.members(request.params.id, paging, { live });
      },
    );

    app.get(
      '/segments/:id/history',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getSegmentHistory',
          response: { 200: membershipEventsResponse },
          summary: 'Entries and exits of a segment',
          tags: ['segments'],
          description: 'Accounts entering and leaving the segment, newest first.',
          params: idParams,
          querystring: page,
        },
      },
      async (request) => ({ items: await services.segments.history(request.params.id, request.query) }),
    );

    app.get(
      '/accounts/:id/segment-history',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getAccountSegmentHistory',
          response: { 200: membershipEventsResponse },
          summary: 'The segments an account entered and left',
          tags: ['segments'],
          description: 'The segments the account entered and left, newest first.',
          params: idParams,
          querystring: page,
        },
      },
      async (request) => ({
        items: await services.segments.accountHistory(request.params.id, request.query),
      }),
    );
    done();
  };
