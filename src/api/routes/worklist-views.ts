// Saved worklist views: each signed-in user's named filters, sort and scope, and those their team
// shares. Only the owner changes or deletes a view; another's unshared view is not found.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import type { Services } from '../../services';
import { worklistViewInput, worklistViewPatch } from '../../services/worklist-views';
import { actorOf } from '../auth-hook';
import { noContent, worklistViewSchema, worklistViewsResponse } from '../responses';
import { idParams } from '../schemas';

export const worklistViewRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/worklist-views',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listWorklistViews',
          response: { 200: worklistViewsResponse },
          summary: 'Saved worklist views',
          tags: ['risk cases'],
          description: "The caller's own views first, then those their team shares with them, by name.",
        },
      },
      async (request) => ({ items: await services.worklistViews.list(actorOf(request)) }),
    );

    app.post(
      '/worklist-views',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'createWorklistView',
          response: { 201: worklistViewSchema },
          summary: 'Save the worklist filters, sort and scope under a name',
          tags: ['risk cases'],
          description:
            'Any signed-in user keeps their own views; `shared: true` shows it (read only) to their team. ' +
            'A name the caller already uses is 409 WORKLIST_VIEW_NAME_TAKEN.',
          body: worklistViewInput,
        },
      },
      async (request, reply) =>
        reply.status(201).send(await services.worklistViews.create(actorOf(request), request.body)),
    );

    app.patch(
      '/worklist-views/:id',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'updateWorklistView',
          response: { 200: worklistViewSchema },
          summary: 'Rename, change or (un)share one of your worklist views',
          tags: ['risk cases'],
          description: "A view that is not the caller's own is 404 WORKLIST_VIEW_NOT_FOUND, shared or not.",
          params: idParams,
          body: worklistViewPatch,
        },
      },
      (request) => services.worklistViews.update(actorOf(request), request.params.id, request.body),
    );

    app.delete(
      '/worklist-views/:id',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'deleteWorklistView',
          response: { 204: noContent },
          summary: 'Delete one of your worklist views',
          tags: ['risk cases'],
          params: idParams,
        },
      },
      async (request, reply) => {
        await services.worklistViews.remove(actorOf(request), request.params.id);
        return reply.code(204).send();
      },
    );
    done();
  };
