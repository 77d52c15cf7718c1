// Risk cases: the worklist, opening, stages, reasons, matrix, weekly updates and audit trail.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { separationSurveySchema } from '../../domain/risk-case';
import { QUADRANTS } from '../../domain/matrix';
import type { Services } from '../../services';
import { INPUT_LIMITS } from '../../domain/input-limits';
import { actorOf } from '../auth-hook';
import {
  auditEntriesResponse,
  riskCaseSchema,
  riskMatrixResponse,
  weeklyUpdateSchema,
  weeklyUpdatesResponse,
  worklistResponse,
} from '../responses';
import { idParams, pageQuery, queryFlag, reasonKey } from '../schemas';

const version = z.number().int().positive().optional();
const text = z.string().trim().min(1).max(INPUT_LIMITS.text.note);

export const riskCaseRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/risk-cases',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listRiskCases',
          response: { 200: worklistResponse },
          summary: 'The worklist of risk cases',
          tags: ['risk cases'],
          description:
            'The worklist: open cases by priority unless told otherwise. `overdue=true` lists cases whose weekly update is overdue.',
          querystring: z.object({
            status: z.enum(['open', 'closed', 'all']).default('open'),
            stage: z
              .string()
              .max(500)
              .transform((value) => value.split(',').filter(Boolean))
              .optional(),
            ownerId: z.coerce.number().int().positive().optional(),
            teamId: z.coerce.number().int().positive().optional(),
            reason: reasonKey.optional(),
            overdue: queryFlag.optional(),
            track: z.enum(['human', 'digital']).optional(),
            quadrant: z.enum(QUADRANTS).optional(),
            q: z.string().max(200).optional(),
            sort: z
              .enum(['priority', 'time_in_stage', 'arr_at_risk', 'ltv', 'opened_at', 'last_update'])
              .default('priority'),
            order: z.enum(['asc', 'desc']).optional(),
            ...pageQuery,
          }),
        },
      },
      (request) => {
        const { stage, ...query } = request.query;
        return services.riskCases.worklist({ ...query, stages: stage });
      },
    );

    app.get(
      '/risk-cases/matrix',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getRiskMatrix',
          response: { 200: riskMatrixResponse },
          summary: 'The At-Risk Matrix with counts',
          tags: ['risk cases'],
          querystring: z.object({
            ownerId: z.coerce.number().int().positive().optional(),
            teamId: z.coerce.number().int().positive().optional(),
          }),
        },
      },
      async (request) => ({ cells: await services.riskCases.matrixSummary(request.query) }),
    );

    app.post(
      '/risk-cases',
      {
        config: { access: 'case.write' },
        schema: {
          operationId: 'openRiskCase',
          response: { 201: riskCaseSchema },
          summary: 'Open a risk case',
          tags: ['risk cases'],
          body: z.object({
            accountId: z.number().int().positive(),
            reasons: z.array(reasonKey).min(1).max(20),
            stage: reasonKey.optional(),
            expected: z.boolean().nullable().optional(),
            avoidable: z.boolean().nullable().optional(),
            arrAtRisk: z.number().min(0).max(1e12).optional(),
            ltv: z.number().min(0).max(1e13).optional(),
            note: z.string().max(INPUT_LIMITS.text.note).optional(),
          }),
        },
      },
      async (request, reply) =>
        reply.status(201).send(await services.riskCases.open(actorOf(request), request.body)),
    );

    app.get(
      '/risk-cases/:id',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getRiskCase',
          response: { 200: riskCaseSchema },
          summary: 'Get a risk case',
          tags: ['risk cases'],
          params: idParams,
        },
      },
      (request) => services.riskCases.get(request.params.id),
    );

    app.patch(
      '/risk-cases/:id',
      {
        config: { access: 'case.write' },
        schema: {
          operationId: 'updateRiskCase',
          response: { 200: riskCaseSchema },
          summary: 'Place a case on the matrix, set ARR at risk and LTV',
          tags: ['risk cases'],
          description:
            'Place the case on the At-Risk Matrix and set ARR at risk and LTV (null derives LTV from ARR).',
          params: idParams,
          body: z
            .object({
              expected: z.boolean().nullable(),
              avoidable: z.boolean().nullable(),
              arrAtRisk: z.number().min(0).max(1e12),
              ltv: z.number().min(0).max(1e13).nullable(),
              version,
            })
            .partial()
            .strict(),
        },
      },
      (request) => services.riskCases.updateDetails(actorOf(request), request.params.id, request.body),
    );

    app.post(
      '/risk-cases/:id/stage',
      {
        config: { access: 'case.write' },
        schema: {
          operationId: 'moveRiskCase',
          response: { 200: riskCaseSchema },
          summary: 'Move a case to a stage',
          tags: ['risk cases'],
          params: idParams,
          description:
            'Move the case to a stage; an end stage closes it, leaving one reopens it. Closing as lost may carry the ' +
            'separation survey (primaryReason, wouldReturn, competitor, comments).',
          body: z.object({
            stage: reasonKey,
            note: z.string().max(INPUT_LIMITS.text.note).optional(),
            version,
            survey: separationSurveySchema.optional(),
          }),
        },
      },
      (request) => services.riskCases.moveStage(actorOf(request), request.params.id, request.body),
    );

    app.put(
      '/risk-cases/:id/reasons',
      {
        config: { access: 'case.write' },
        schema: {
          operationId: 'setRiskCaseReasons',
          response: { 200: riskCaseSchema },
          summary: "Set a case's reasons",
          tags: ['risk cases'],
          params: idParams,
          body: z.object({ reasons: z.array(reasonKey).min(1).max(20), version }),
        },
      },
      (request) =>
        services.riskCases.setReasons(
          actorOf(request),
          request.params.id,
          request.body.reasons,
          request.body.version,
        ),
    );

    app.get(
      '/risk-cases/:id/updates',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listRiskCaseUpdates',
          response: { 200: weeklyUpdatesResponse },
          summary: "A case's weekly updates",
          tags: ['risk cases'],
          params: idParams,
        },
      },
      async (request) => ({
        items: await services.riskCases.updates(request.params.id),
      }),
    );

    app.post(
      '/risk-cases/:id/updates',
      {
        config: { access: 'case.write' },
        schema: {
          operationId: 'addRiskCaseUpdate',
          response: { 201: weeklyUpdateSchema },
          summary: 'Record a weekly update',
          tags: ['risk cases'],
          description: "The weekly update: Background / What we've done so far / Next steps.",
          params: idParams,
          body: z.object({ background: text, doneSoFar: text, nextSteps: text }),
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await services.riskCases.addUpdate(actorOf(request), request.params.id, request.body)),
    );

    app.get(
      '/risk-cases/:id/audit',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getRiskCaseAudit',
          response: { 200: auditEntriesResponse },
          summary: "A case's audit trail",
          tags: ['risk cases'],
          params: idParams,
        },
      },
      async (request) => ({
        items: await services.riskCases.auditTrail(request.params.id),
      }),
    );
    done();
  };
