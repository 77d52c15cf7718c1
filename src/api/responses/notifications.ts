// What the notification routes answer: a user's inbox with its unread count, and what a read changes.
import { z } from 'zod';
import type { Services } from '../../services';
import type { Notification } from '../../services/notifications';
import { exactly, id, timestamp, type Answer } from './shared';

export const notificationSchema = exactly<Notification>()(
  z
    .object({
      id,
      kind: z
        .enum(['case_opened', 'update_overdue', 'task_assigned', 'play_needs_you'])
        .describe(
          'What happened: a case opened, a weekly update overdue, a task for you, a play waiting on you',
        ),
      title: z.string(),
      summary: z.string(),
      accountId: id.nullable(),
      accountName: z.string().nullable(),
      caseId: id.nullable(),
      taskId: id.nullable(),
      createdAt: timestamp,
      readAt: timestamp.nullable().describe('null while unread'),
    })
    .meta({ id: 'Notification' }),
);

export const notificationsResponse = exactly<Answer<Services['notifications']['inbox']>>()(
  z
    .object({
      total: z.number().int().describe('Notifications matching, over all pages'),
      unread: z.number().int().describe('All your unread notifications'),
      items: z.array(notificationSchema),
    })
    .meta({ id: 'NotificationInbox' }),
);

export const notificationReadResponse = exactly<Answer<Services['notifications']['markRead']>>()(
  z.object({ id, readAt: timestamp }),
);

export const notificationsReadAllResponse = exactly<Answer<Services['notifications']['markAllRead']>>()(
  z.object({ marked: z.number().int().describe('How many were unread') }),
);
