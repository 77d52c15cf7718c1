// Playbooks and tasks: plays (admins configure, anyone reads), dry runs, runs and their steps,
// effectiveness, the outbox of messages, and each person's task inbox.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors';
import type { Services } from '../../services';
import { actorOf } from '../auth-hook';
import {
  RUN_STATUSES,
  completedTaskResponse,
  dryRunSchema,
  outboxMessageSchema,
  outboxResponse,
  playEffectivenessResponse,
  playRunDetailResponse,
  playRunsResponse,
  playSchema,
  playVersionsResponse,
  playsResponse,
  taskSchema,
  tasksResponse,
} from '../responses';
import { idParams, pageQuery } from '../schemas';

const playParams = z.object({ ref: z.string().min(1).max(64) });
const page = z.object(pageQuery);

const DEFINITION_HELP =
  'A definition is `{trigger, conditions, steps, holdoutPercent}`. Triggers: case_opened, reason_added, ' +
  'stage_changed, segment_entered, segment_left, signal_rule_fired, touchpoint_logged, schedule. Steps: task ' +
  '(title, description, dueInDays, assignee, onComplete, waitForCompletion), wait, wait_until, email, webhook, ' +
  'action (set_stage, add_reason, remove_reason, close). Templates may use {{account.name}}, ' +
  '{{account.owner}}, {{contact.name}} and other account fields.';

export const playRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/plays',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listPlays',
          response: { 200: playsResponse },
          summary: 'List plays',
          tags: ['playbooks'],
          description: 'Every play with its current definition (webhook URLs for admins only).',
        },
      },
      async (request) => ({ items: await services.playbooks.list(actorOf(request)) }),
    );

    app.post(
      '/plays',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'createPlay',
          response: { 201: playSchema },
          summary: 'Create a play',
          tags: ['playbooks'],
          description: `Create a play (admins); it starts inactive. ${DEFINITION_HELP}`,
          body: z.record(z.string(), z.unknown()),
        },
      },
      async (request, reply) =>
        reply.code(201).send(await services.playbooks.create(actorOf(request), request.body)),
    );

    app.get(
      '/plays/:ref',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getPlay',
          response: { 200: playSchema },
          summary: 'Get a play',
          tags: ['playbooks'],
          description: 'A play by id or key.',
          params: playParams,
        },
      },
      (request) => services.playbooks.get(request.params.ref, actorOf(request)),
    );

    app.patch(
      '/plays/:ref',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'updatePlay',
          response: { 200: playSchema },
          summary: 'Change or turn a play on or off',
          tags: ['playbooks'],
          description:
            'Rename, turn on or off (`active`), or change the definition (a new version; runs in flight keep ' +
            'theirs). Send the `version` you read (409 VERSION_CONFLICT when stale).',
          params: playParams,
          body: z.record(z.string(), z.unknown()),
        },
      },
      (request) => services.playbooks.update(actorOf(request), request.params.ref, request.body),
    );

    app.get(
      '/plays/:ref/versions',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listPlayVersions',
          response: { 200: playVersionsResponse },
          summary: "A play's versions",
          tags: ['playbooks'],
          description: 'Every version of the definition.',
          params: playParams,
        },
      },
      async (request) => ({ items: await services.playbooks.versions(request.params.ref, actorOf(request)) }),
    );

    app.post(
      '/plays/:ref/dry-run',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'dryRunPlay',
          response: { 200: dryRunSchema },
          summary: 'Who would enter a play now',
          tags: ['playbooks'],
          description:
            'Which accounts would enter the play now and which group each would land in; nothing is started. ' +
            'Send `{definition}` to preview an edit before saving it.',
          params: playParams,
          body: z
            .object({ definition: z.record(z.string(), z.unknown()).optional() })
            .strict()
            .optional(),
        },
      },
      (request) => services.playbooks.dryRun(request.params.ref, request.body?.definition),
    );

    app.get(
      '/plays/:ref/runs',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listPlayRuns',
          response: { 200: playRunsResponse },
          summary: "A play's runs",
          tags: ['playbooks'],
          description: 'Runs of the play, newest first.',
          params: playParams,
          querystring: page.extend({
            status: z.enum(RUN_STATUSES).optional(),
          }),
        },
      },
      (request) =>
        services.playbooks.runs(
          { play: request.params.ref, status: request.query.status },
          { limit: request.query.limit, offset: request.query.offset },
        ),
    );

    app.get(
      '/plays/:ref/effectiveness',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getPlayEffectiveness',
          response: { 200: playEffectivenessResponse },
          summary: 'A play against its holdout',
          tags: ['playbooks'],
          description:
            'Treated vs held-out accounts: save rate, churn and health change after 30 days, with 95% ' +
            'confidence intervals and a verdict (helps / hurts / no measurable difference / too small to tell).',
          params: playParams,
        },
      },
      (request) => services.playbooks.effectiveness(request.params.ref),
    );

    app.get(
      '/play-runs/:id',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getPlayRun',
          response: { 200: playRunDetailResponse },
          summary: 'Get a play run',
          tags: ['playbooks'],
          description: 'One run: its steps as done, its tasks and its messages.',
          params: idParams,
        },
      },
      (request) => services.playbooks.run(request.params.id, actorOf(request)),
    );

    app.get(
      '/outbox',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'listOutbox',
          response: { 200: outboxResponse },
          summary: 'Messages plays sent or are sending',
          tags: ['playbooks'],
          description:
            'Emails and webhook calls plays sent or are sending. `unconfirmed` ones were being sent when the ' +
            'sender stopped: check whether they arrived before sending them again.',
          querystring: z.object({
            status: z
              .enum(['pending', 'sending', 'sent', 'failed', 'unconfirmed', 'undeliverable'])
              .optional(),
            accountId: z.coerce.number().int().positive().optional(),
          }),
        },
      },
      async (request) => ({ items: await services.playbooks.messages(request.query, actorOf(request)) }),
    );

    app.post(
      '/outbox/:id/retry',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'retryOutboxMessage',
          response: { 200: outboxMessageSchema },
          summary: 'Send a message again',
          tags: ['playbooks'],
          description: 'Send an unconfirmed, failed or undeliverable message again.',
          params: idParams,
        },
      },
      async (request) => {
        const message = await services.playbooks.retryMessage(actorOf(request), request.params.id);
        if (!message)
          throw new AppError('NOT_FOUND', `No message ${request.params.id}.`, {
            messageId: request.params.id,
          });
        return message;
      },
    );

    app.get(
      '/tasks',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listTasks',
          response: { 200: tasksResponse },
          summary: 'A task inbox',
          tags: ['tasks'],
          description:
            'A task inbox: your own by default; `assignee` (a user id or `unassigned`), `teamId` or `accountId` ' +
            'to look wider. `state`: open (default), due (today), overdue, done, all.',
          querystring: page.extend({
            assignee: z.union([z.enum(['me', 'unassigned']), z.coerce.number().int().positive()]).optional(),
            teamId: z.coerce.number().int().positive().optional(),
            accountId: z.coerce.number().int().positive().optional(),
            state: z.enum(['open', 'due', 'overdue', 'done', 'all']).optional(),
          }),
        },
      },
      (request) => {
        const { limit, offset, ...query } = request.query;
        return services.tasks.inbox(actorOf(request), query, { limit, offset });
      },
    );

    app.post(
      '/tasks',
      {
        config: { access: 'case.write' },
        schema: {
          operationId: 'createTask',
          response: { 201: taskSchema },
          summary: 'Give someone a task',
          tags: ['tasks'],
          description:
            'A task by hand on an account you may work on (and its open case, if any), for an active user, ' +
            'due in `dueInDays`. The assignee is notified.',
          body: z
            .object({
              accountId: z.number().int().positive(),
              assigneeId: z.number().int().positive(),
              title: z.string().trim().min(1).max(200),
              description: z.string().max(4000).optional(),
              dueInDays: z.number().int().min(0).max(365).default(7),
            })
            .strict(),
        },
      },
      async (request, reply) => {
        const task = await services.tasks.create(actorOf(request), request.body);
        return reply.code(201).send(task);
      },
    );

    app.get(
      '/tasks/:id',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getTask',
          response: { 200: taskSchema },
          summary: 'Get a task',
          tags: ['tasks'],
          params: idParams,
        },
      },
      (request) => services.tasks.get(request.params.id),
    );

    app.post(
      '/tasks/:id/complete',
      {
        config: { access: 'case.write' },
        schema: {
          operationId: 'completeTask',
          response: { 200: completedTaskResponse },
          summary: 'Mark a task done',
          tags: ['tasks'],
          description:
            'Mark a task done (its assignee, their team lead or an admin). Automatic post-completion actions ' +
            'run; offered ones run when listed in `accept` by index.',
          params: idParams,
          body: z.record(z.string(), z.unknown()).optional(),
        },
      },
      (request) => services.tasks.complete(actorOf(request), request.params.id, request.body ?? {}),
    );

    done();
  };
