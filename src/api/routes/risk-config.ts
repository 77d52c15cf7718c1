// Configuration of the risk process: stages, reasons and settings.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { settingsSchema } from '../../domain/settings';
import type { Services } from '../../services';
import { actorOf } from '../auth-hook';
import { ifMatch, ifMatchHeader, withRevision } from '../revision';
import {
  riskReasonSchema,
  riskReasonsResponse,
  riskStageSchema,
  riskStagesResponse,
  settingsResponse,
} from '../responses';
import { keyParams, reasonKey } from '../schemas';

const stageBody = z.object({
  key: reasonKey,
  name: z.string().trim().min(1).max(100),
  position: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .optional()
    .describe('Where it sorts; left out, an open stage goes after the open stages and a closed one last'),
  isEnd: z.boolean().default(false),
  outcome: z.enum(['recovered', 'lost']).nullable().default(null),
  active: z.boolean().default(true),
});

const reasonBody = z.object({
  key: reasonKey,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullable().default(null),
  position: z.number().int().min(0).max(1000).optional(),
  active: z.boolean().default(true),
});

export const riskConfigRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/risk-stages',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listRiskStages',
          response: { 200: riskStagesResponse },
          summary: 'List risk stages',
          tags: ['configuration'],
        },
      },
      async () => ({
        items: await services.config.listStages(),
      }),
    );

    app.post(
      '/risk-stages',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'createRiskStage',
          response: { 201: riskStageSchema },
          summary: 'Create a risk stage',
          tags: ['configuration'],
          body: stageBody,
        },
      },
      async (request, reply) =>
        reply.status(201).send(await services.config.createStage(actorOf(request), request.body)),
    );

    app.put(
      '/risk-stages/order',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'reorderRiskStages',
          response: { 200: riskStagesResponse },
          summary: 'Put the risk stages in order: every key once, the closed stages last',
          tags: ['configuration'],
          body: z.object({ keys: z.array(reasonKey).min(1).max(100) }).strict(),
        },
      },
      async (request) => ({
        items: await services.config.reorderStages(actorOf(request), request.body.keys),
      }),
    );

    app.patch(
      '/risk-stages/:key',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'updateRiskStage',
          response: { 200: riskStageSchema },
          summary: 'Change a risk stage',
          tags: ['configuration'],
          params: keyParams,
          body: z
            .object({
              name: z.string().trim().min(1).max(100),
              position: z.number().int().min(0).max(1000),
              isEnd: z.boolean(),
              outcome: z.enum(['recovered', 'lost']).nullable(),
              active: z.boolean(),
            })
            .partial()
            .strict(),
        },
      },
      (request) => services.config.updateStage(actorOf(request), request.params.key, request.body),
    );

    app.get(
      '/risk-reasons',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listRiskReasons',
          response: { 200: riskReasonsResponse },
          summary: 'List risk reasons',
          tags: ['configuration'],
        },
      },
      async () => ({
        items: await services.config.listReasons(),
      }),
    );

    app.post(
      '/risk-reasons',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'createRiskReason',
          response: { 201: riskReasonSchema },
          summary: 'Create a risk reason',
          tags: ['configuration'],
          body: reasonBody,
        },
      },
      async (request, reply) =>
        reply.status(201).send(await services.config.createReason(actorOf(request), request.body)),
    );

    app.patch(
      '/risk-reasons/:key',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'updateRiskReason',
          response: { 200: riskReasonSchema },
          summary: 'Change a risk reason',
          tags: ['configuration'],
          params: keyParams,
          body: reasonBody.omit({ key: true }).partial().strict(),
        },
      },
      (request) => services.config.updateReason(actorOf(request), request.params.key, request.body),
    );

    app.get(
      '/settings',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getSettings',
          response: { 200: settingsResponse },
          summary: 'Get the settings',
          tags: ['configuration'],
        },
      },
      async (_request, reply) => withRevision(reply, await services.config.settings()),
    );

    app.patch(
      '/settings',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'updateSettings',
          headers: ifMatchHeader,
          response: { 200: settingsResponse },
          summary: 'Change the settings',
          tags: ['configuration'],
          body: settingsSchema.partial().strict(),
        },
      },
      async (request, reply) =>
        withRevision(
          reply,
          await services.config.updateSettings(actorOf(request), request.body, ifMatch(request)),
        ),
    );
    done();
  };
