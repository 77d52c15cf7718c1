// Tasks with their due state, and completing one (accepting offered follow-up actions).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import type { PlayAction, Task } from '../api/types';
import { formatDate, humanize } from '../format';
import { useCan, useUser } from '../session';
import { ActionError } from './states';

function describeAction(stored: unknown): string {
  // Follow-up actions were validated as play actions when the play was saved.
  const action = stored as PlayAction;
  const target = 'stage' in action ? action.stage : 'reason' in action ? action.reason : action.outcome;
  return `${humanize(action.kind)}${target ? `: ${humanize(target)}` : ''}`;
}

export function TaskList({ tasks, showAccount = false }: { tasks: Task[]; showAccount?: boolean }) {
  return (
    <ul className="tasks">
      {tasks.map((task) => (
        <TaskItem key={task.id} task={task} showAccount={showAccount} />
      ))}
    </ul>
  );
}

function TaskItem({ task, showAccount }: { task: Task; showAccount: boolean }) {
  const user = useUser();
  const client = useQueryClient();
  const [accept, setAccept] = useState<number[]>([]);
  const complete = useMutation({
    mutationFn: () => api<Task>(`/tasks/${task.id}/complete`, { method: 'POST', body: { accept } }),
    onSuccess: () => {
      for (const key of ['tasks', 'account', 'risk-cases', 'case'])
        void client.invalidateQueries({ queryKey: [key] });
    },
  });
  const can = useCan();
  // The API's rule: the assignee, or whoever may change the account's case.
  const mayComplete =
    task.status === 'open' &&
    (task.assigneeId === user.id ||
      can('case.write', { ownerId: task.accountOwnerId, teamId: task.accountTeamId }));
  return (
    <li className={`task task-${task.status}${task.overdue ? ' task-overdue' : ''}`}>
      <div className="task-main">
        <strong>{task.title}</strong>
        {showAccount && (
          <>
            {' '}
            · <Link to={`/accounts/${task.accountId}`}>{task.accountName}</Link>
          </>
        )}
        <p className="muted small">
          {task.status === 'open'
            ? `Due ${formatDate(task.dueAt)}`
            : `Done ${task.completedAt ? formatDate(task.completedAt) : ''}`}
          {task.overdue && <span className="tag tag-warn">overdue</span>}
          {task.assigneeEmail && ` · ${task.assigneeEmail.split('@')[0]}`}
          {task.playName && ` · play: ${task.playName}`}
        </p>
        {task.description && <p className="small">{task.description}</p>}
        {task.status === 'open' && task.actions.length > 0 && (
          <div className="small">
            {task.actionsMode === 'automatic' ? 'On completion: ' : 'Offered on completion: '}
            {task.actions.map((action, index) =>
              task.actionsMode === 'offered' ? (
                <label key={index} className="check inline">
                  <input
                    type="checkbox"
                    checked={accept.includes(index)}
                    onChange={() =>
                      setAccept((current) =>
                        current.includes(index)
                          ? current.filter((one) => one !== index)
                          : [...current, index],
                      )
                    }
                  />
                  {describeAction(action)}
                </label>
              ) : (
                <span key={index} className="chip">
                  {describeAction(action)}
                </span>
              ),
            )}
          </div>
        )}
        <ActionError error={complete.error} />
      </div>
      {mayComplete && (
        <button
          type="button"
          className="small"
          disabled={complete.isPending}
          onClick={() => complete.mutate()}
        >
          Mark done
        </button>
      )}
    </li>
  );
}
