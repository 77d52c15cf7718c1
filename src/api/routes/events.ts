// Server-sent events: every committed change (case moved, reason set, update written, task done,
// account edited…) as it happens, for live screens and for scripts. Each event's id is the audit
// entry's, so a client that reconnects with Last-Event-ID gets what it missed.
import type { ServerResponse } from 'node:http';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services';
import type { ChangeEntry } from '../../services/change-feed';
import { NOTIFICATION_ENTITY } from '../../services/notifications';
import type { Role } from '../../domain/policy';
import { actorOf, currentActor } from '../auth-hook';
import { eventStreamResponse } from '../responses';
import { queryFlag } from '../schemas';

const HEARTBEAT_MS = 25_000;

/** A backlog is read this many entries at a time, at most BACKLOG_PAGES times a request. */
const BACKLOG_PAGE = 1000;
const BACKLOG_PAGES = 20;

/** Changes only admins are told of: sign-in events, users and API tokens. */
const ADMIN_ONLY_ENTITIES = new Set(['auth', 'user', 'api_token']);

export const eventRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    const open = new Set<ServerResponse>();
    // A stream never ends by itself; end them all so the server can close.
    app.addHook('preClose', async () => {
      for (const stream of open) stream.end();
      open.clear();
      await services.changes.close();
    });

    app.get(
      '/events',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'streamEvents',
          response: { 200: eventStreamResponse },
          summary: 'A live stream of changes',
          tags: ['events'],
          description:
            'A text/event-stream of changes (`event: change`, data `{id, at, actor, entityType, entityId, accountId, ' +
            'action}`). `after` (or the Last-Event-ID header) first replays what came after that id; `follow=false` ' +
            'sends that backlog and ends instead of staying open.',
          querystring: z.object({
            after: z.coerce.number().int().min(0).optional(),
            follow: queryFlag.default(true),
          }),
        },
      },
      async (request, reply) => {
        const { userId } = actorOf(request);
        // A change to someone's inbox goes to that user's streams only; sign-ins, users and
        // API tokens (who logged in, from which address) to admins only, by their role now.
        const mayKnow = (change: ChangeEntry, role: Role) => {
          if (change.entityType === NOTIFICATION_ENTITY)
            return userId !== null && change.entityId === String(userId);
          return role === 'admin' || !ADMIN_ONLY_ENTITIES.has(change.entityType);
        };
        /**
         * What came after `from` that the caller may know of, and the newest entry looked at: a
         * run of entries hidden from them is read past, not taken for the end of the log.
         */
        const visibleBacklog = async (from: number, role: Role) => {
          const visible: ChangeEntry[] = [];
          let cursor = from;
          for (let page = 0; page < BACKLOG_PAGES && visible.length < BACKLOG_PAGE; page += 1) {
            const changes = await services.changes.backlog(cursor, BACKLOG_PAGE);
            for (const change of changes) if (mayKnow(change, role)) visible.push(change);
            cursor = changes.at(-1)?.id ?? cursor;
            if (changes.length < BACKLOG_PAGE) break;
          }
          return { visible, cursor };
        };
        const lastEventId = Number(request.headers['last-event-id']);
        const after = Number.isInteger(lastEventId) && lastEventId >= 0 ? lastEventId : request.query.after;
        const raw = reply.raw;
        reply.hijack();
        // A client that went away mid-write is not an error worth more than dropping the stream.
        raw.on('error', () => undefined);
        const write = (text: string) => {
          if (!raw.destroyed && !raw.writableEnded) raw.write(text);
        };
        const begin = () => {
          raw.writeHead(200, {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-store',
            'x-content-type-options': 'nosniff',
            'x-accel-buffering': 'no',
          });
          write('retry: 3000\n\n');
        };
        const send = (changes: readonly ChangeEntry[], role: Role, already?: ReadonlySet<number>) => {
          for (const change of changes)
            if (!already?.has(change.id) && mayKnow(change, role))
              write(`id: ${change.id}\nevent: change\ndata: ${JSON.stringify(change)}\n\n`);
        };
        /** Sends the backlog; an id alone moves a client past the entries it may not see. */
        const sendBacklog = async (from: number | undefined, role: Role) => {
          if (from === undefined) return new Set<number>();
          const { visible, cursor } = await visibleBacklog(from, role);
          send(visible, role);
          if (cursor > (visible.at(-1)?.id ?? from)) write(`id: ${cursor}\n\n`);
          return new Set(visible.map((change) => change.id));
        };
        if (!request.query.follow) {
          begin();
          await sendBacklog(after, actorOf(request).role);
          raw.end();
          return;
        }
        // Follow first, then answer, then replay: a client that has its answer misses nothing
        // committed after it, and nothing committed during the replay is lost.
        const waiting: ChangeEntry[][] = [];
        let replaying = true;
        open.add(raw);
        // Each delivery first checks that the caller's token or session still holds: a revoked token,
        // a logout or a deactivated user ends the stream. Deliveries stay in order.
        let delivering = Promise.resolve();
        const deliver = (work: (role: Role) => void) => {
          delivering = delivering
            .then(async () => {
              if (raw.writableEnded) return;
              const actor = await currentActor(request, services);
              if (actor) work(actor.role);
              else raw.end();
            })
            // A store that cannot answer (the server is closing) ends the stream; the client reconnects.
            .catch(() => {
              raw.end();
            });
        };
        const heartbeat = setInterval(() => deliver(() => write(': keep-alive\n\n')), HEARTBEAT_MS);
        heartbeat.unref();
        let stop: (() => void) | null = null;
        let closed = false;
        raw.on('close', () => {
          closed = true;
          clearInterval(heartbeat);
          open.delete(raw);
          stop?.();
        });
        stop = await services.changes.follow((changes) => {
          if (replaying) waiting.push([...changes]);
          else deliver((role) => send(changes, role));
        });
        // The client may have left while the feed started.
        if (closed) {
          stop();
          return;
        }
        begin();
        const role = (await currentActor(request, services))?.role ?? actorOf(request).role;
        const replayed = await sendBacklog(after, role);
        for (const batch of waiting.splice(0)) send(batch, role, replayed);
        replaying = false;
      },
    );
    done();
  };
