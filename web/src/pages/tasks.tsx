// The task inbox: my tasks by default; leads and admins can look at their team's.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, query } from '../api/client';
import type { Page, Task } from '../api/types';
import { Queried } from '../components/queried';
import { Empty } from '../components/states';
import { TaskList } from '../components/task-list';
import { useUser } from '../session';

const STATES = [
  { value: 'open', label: 'Open' },
  { value: 'due', label: 'Due today' },
  { value: 'overdue', label: 'Overdue' },
  { value: 'done', label: 'Done' },
  { value: 'all', label: 'All' },
];

export default function TasksPage() {
  const user = useUser();
  const [state, setState] = useState('open');
  const [whose, setWhose] = useState<'me' | 'team'>('me');
  const params = {
    state,
    limit: 100,
    ...(whose === 'team' && user.teamId !== null ? { teamId: user.teamId } : {}),
  };
  const tasks = useQuery({
    queryKey: ['tasks', params],
    queryFn: () => api<Page<Task>>(`/tasks${query(params)}`),
  });
  return (
    <section className="page">
      <div className="page-head">
        <h1>Tasks</h1>
        {tasks.data && <p className="muted">{tasks.data.total} tasks</p>}
      </div>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Show
          <select aria-label="Show" value={state} onChange={(event) => setState(event.target.value)}>
            {STATES.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        {user.teamId !== null && (
          <label>
            Whose
            <select
              aria-label="Whose"
              value={whose}
              onChange={(event) => setWhose(event.target.value as 'me' | 'team')}
            >
              <option value="me">Mine</option>
              <option value="team">My team's</option>
            </select>
          </label>
        )}
      </form>
      <Queried
        query={tasks}
        isEmpty={(data) => data.items.length === 0}
        empty={<Empty title="No tasks here.">Playbooks create tasks when their triggers fire.</Empty>}
      >
        {(data) => <TaskList tasks={data.items} showAccount />}
      </Queried>
    </section>
  );
}
