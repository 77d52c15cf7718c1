// The inbox in the top bar and on its page: the unread count on a bell, the list newest first with
// unread ones marked, each leading to its account or task; opening one marks it read.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { api, query } from '../api/client';
import type { Notification, NotificationInbox } from '../api/types';
import { formatDateTime } from '../format';

const KIND_NAMES: Record<Notification['kind'], string> = {
  case_opened: 'New risk case',
  update_overdue: 'Weekly update overdue',
  task_assigned: 'Task for you',
  play_needs_you: 'A play needs you',
};

/** The caller's notifications (key `notifications`, refreshed by the change stream). */
export const useNotifications = (params: { unread?: boolean; limit: number }) =>
  useQuery({
    queryKey: ['notifications', params],
    queryFn: () =>
      api<NotificationInbox>(
        `/notifications${query({ limit: params.limit, ...(params.unread && { unread: 'true' }) })}`,
      ),
  });

export function useMarkRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      api<{ id: number; readAt: string }>(`/notifications/${id}/read`, { method: 'POST' }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['notifications'] }),
  });
}

export function useMarkAllRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api<{ marked: number }>('/notifications/read-all', { method: 'POST' }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['notifications'] }),
  });
}

/** Where a notification leads: the task inbox for a task, else the account (where its case is). */
export function notificationTarget(notification: Notification): string {
  if (notification.taskId !== null) return '/tasks';
  if (notification.accountId !== null) return `/accounts/${notification.accountId}`;
  return '/notifications';
}

/** The bell in the top bar: a link to the inbox, saying how many are unread. */
export function NotificationBell() {
  const inbox = useNotifications({ unread: true, limit: 1 });
  const unread = inbox.data?.unread ?? 0;
  const label = unread === 0 ? 'Notifications, none unread' : `Notifications, ${unread} unread`;
  return (
    <Link to="/notifications" className="bell" aria-label={label} title={label}>
      <svg aria-hidden="true" focusable="false" width="18" height="18" viewBox="0 0 24 24">
        <path
          fill="currentColor"
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
        />
      </svg>
      {unread > 0 && (
        <span className="bell-count" aria-hidden="true">
          {unread > 99 ? '99+' : unread}
        </span>
      )}
    </Link>
  );
}

/** Notifications newest first; opening one marks it read, then goes to what it is about. */
export function NotificationList({ items }: { items: Notification[] }) {
  const markRead = useMarkRead();
  const navigate = useNavigate();
  const open = (notification: Notification) => {
    const to = notificationTarget(notification);
    if (notification.readAt !== null) {
      void navigate(to);
      return;
    }
    // The read is recorded before leaving; a failure still takes the user where they asked.
    markRead.mutate(notification.id, { onSettled: () => void navigate(to) });
  };
  return (
    <ul className="notifications">
      {items.map((notification) => {
        const unread = notification.readAt === null;
        return (
          <li key={notification.id} className={`notification${unread ? ' notification-unread' : ''}`}>
            <p className="muted small">
              {unread && <span className="tag tag-warn">Unread</span>} {KIND_NAMES[notification.kind]} ·{' '}
              {formatDateTime(notification.createdAt)}
            </p>
            <a
              href={notificationTarget(notification)}
              onClick={(event) => {
                // Opened in a new tab or window: the browser follows the link, the read is still recorded.
                if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
                  if (unread) markRead.mutate(notification.id);
                  return;
                }
                event.preventDefault();
                open(notification);
              }}
            >
              <strong>{notification.title}</strong>
            </a>
            <p>{notification.summary}</p>
          </li>
        );
      })}
    </ul>
  );
}
