// The caller's own inbox: list (all or unread, with the unread count), mark one read, mark all read.
// Anyone signed in may use it, only ever on their own notifications: another's id is not found.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services';
import { actorOf } from '../auth-hook';
import { notificationReadResponse, notificationsReadAllResponse, notificationsResponse } from '../responses';
import { idParams, pageQuery, queryFlag } from '../schemas';

export const notificationRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/notifications',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listNotifications',
          response: { 200: notificationsResponse },
          summary: 'Your notifications',
          tags: ['notifications'],
          description:
            'Your own notifications, newest first: a case opened on your account, a weekly update overdue on ' +
            'your case, a task for you, a play waiting on you. `unread=true` lists the unread ones only; ' +
            '`unread` in the answer counts all of them.',
          querystring: z.object({ ...pageQuery, unread: queryFlag.optional() }),
        },
      },
      (request) => {
        const { limit, offset, unread } = request.query;
        return services.notifications.inbox(actorOf(request), { unread }, { limit, offset });
      },
    );

    app.post(
      '/notifications/read-all',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'markAllNotificationsRead',
          response: { 200: notificationsReadAllResponse },
          summary: 'Mark all your notifications read',
          tags: ['notifications'],
        },
      },
      (request) => services.notifications.markAllRead(actorOf(request)),
    );

    app.post(
      '/notifications/:id/read',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'markNotificationRead',
          response: { 200: notificationReadResponse },
          summary: 'Mark one of your notifications read',
          tags: ['notifications'],
          description:
            'Marking it again keeps when it was first read. A notification of another user is not found.',
          params: idParams,
        },
      },
      (request) => services.notifications.markRead(actorOf(request), request.params.id),
    );

    done();
  };
