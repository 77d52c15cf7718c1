// The inbox: what needs you (cases opened on your accounts, overdue weekly updates, tasks, plays
// waiting on you), newest first, all or unread only, and "Mark all as read".
import { useState } from 'react';
import { Queried } from '../components/queried';
import { NotificationList, useMarkAllRead, useNotifications } from '../components/notifications';
import { ActionError, Empty } from '../components/states';

const PAGE = 50;

export default function NotificationsPage() {
  const [show, setShow] = useState<'all' | 'unread'>('all');
  const [limit, setLimit] = useState(PAGE);
  const inbox = useNotifications({ unread: show === 'unread', limit });
  const markAll = useMarkAllRead();
  const unread = inbox.data?.unread ?? 0;
  return (
    <section className="page">
      <div className="page-head">
        <h1>Notifications</h1>
        {inbox.data && <p className="muted">{unread === 0 ? 'All read' : `${unread} unread`}</p>}
      </div>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Show
          <select
            aria-label="Show"
            value={show}
            onChange={(event) => {
              setShow(event.target.value === 'unread' ? 'unread' : 'all');
              setLimit(PAGE);
            }}
          >
            <option value="all">All</option>
            <option value="unread">Unread</option>
          </select>
        </label>
        <button type="button" disabled={unread === 0 || markAll.isPending} onClick={() => markAll.mutate()}>
          Mark all as read
        </button>
      </form>
      <ActionError error={markAll.error} />
      <Queried
        query={inbox}
        isEmpty={(data) => data.items.length === 0}
        empty={
          <Empty title={show === 'unread' ? 'Nothing unread.' : 'No notifications yet.'}>
            You hear here of new risk cases on your accounts, overdue weekly updates, and tasks for you.
          </Empty>
        }
      >
        {(data) => (
          <>
            <NotificationList items={data.items} />
            {data.items.length < data.total && (
              <button type="button" className="link-button" onClick={() => setLimit(limit + PAGE)}>
                Show more
              </button>
            )}
          </>
        )}
      </Queried>
    </section>
  );
}
