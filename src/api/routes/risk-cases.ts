// Risk cases: the worklist, opening, stages, reasons, matrix, weekly updates and audit trail.
import { Readable } from 'node:stream';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { separationSurveySchema } from '../../domain/risk-case';
import { QUADRANTS } from '../../domain/matrix';
import type { Services } from '../../services';
import { BULK_LIMIT, bulkCaseInput } from '../../services/bulk-cases';
import { worklistCsv } from '../../services/exports';
import { scopedWorklistQuery } from '../../services/risk-cases';
import { WORKLIST_SCOPES, WORKLIST_SORTS } from '../../services/worklist-views';
import { INPUT_LIMITS } from '../../domain/input-limits';
import { actorOf } from '../auth-hook';
import {
  caseAuditResponse,
  bulkCaseResultsResponse,
  exportResponse,
  riskCaseSchema,
  riskMatrixResponse,
  weeklyUpdateSchema,
  weeklyUpdatesResponse,
  worklistResponse,
} from '../responses';
import { idParams, pageQuery, queryFlag, reasonKey } from '../schemas';

const version = z.number().int().positive().optional();

/** What selects and orders the worklist: its filters, the caller's scope and the sort. */
const worklistQuery = {
  scope: z
    .enum(WORKLIST_SCOPES)
    .optional()
    .describe('mine: cases on accounts the caller owns; team: on their team; all (the default): every case'),
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
  sort: z.enum(WORKLIST_SORTS).default('priority'),
  order: z.enum(['asc', 'desc']).optional(),
};
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
          querystring: z.object({ ...worklistQuery, ...pageQuery }),
        },
      },
      (request) => {
        const { stage, scope, ...query } = request.query;
        return services.riskCases.worklist(
          scopedWorklistQuery(actorOf(request), scope, { ...query, stages: stage }),
        );
      },
    );

    app.get(
      '/risk-cases/export',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'exportWorklist',
          response: { 200: exportResponse },
          summary: 'The worklist as a CSV file',
          tags: ['risk cases'],
          description:
            "The cases the worklist's filters, scope and sort select, on every page and in its order, as people " +
            'read them: account, stage, reason and owner names. Cells that would start a spreadsheet formula get ' +
            "a leading '. The machine-readable export of every case is GET /exports/cases.",
          querystring: z.object(worklistQuery),
        },
      },
      (request, reply) => {
        const { stage, scope, ...query } = request.query;
        const scoped = scopedWorklistQuery(actorOf(request), scope, { ...query, stages: stage });
        void reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="worklist.csv"');
        return Readable.from(worklistCsv(services.context, services.riskCases, scoped));
      },
    );

    app.post(
      '/risk-cases/bulk',
      {
        config: { access: 'case.write' },
        schema: {
          operationId: 'bulkChangeRiskCases',
          response: { 200: bulkCaseResultsResponse },
          summary: 'Assign an owner, move to a stage or add a reason on many cases',
          tags: ['risk cases'],
          description:
            `Up to ${BULK_LIMIT} cases, each with the version it was read at. Each case is changed on its own, ` +
            "with the caller's rights: the answer says per case whether it was done or why it was refused " +
            '(VERSION_CONFLICT when it changed since it was read, FORBIDDEN when it is not yours to change); ' +
            'a refusal leaves the other cases done. Closing stages are refused as a whole: a case closes one ' +
            'by one, with its note and survey.',
          body: bulkCaseInput,
        },
      },
      (request) => services.bulkCases.apply(actorOf(request), request.body),
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
          description:
            "The weekly update: Background / What we've done so far / Next steps. Send `previousUpdateId`, the " +
            'newest update you had read (null for none), to be told (409 VERSION_CONFLICT, with the updates ' +
            'written meanwhile) when someone else wrote one since.',
          params: idParams,
          body: z.object({
            background: text,
            doneSoFar: text,
            nextSteps: text,
            previousUpdateId: z.number().int().positive().nullable().optional(),
          }),
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
          response: { 200: caseAuditResponse },
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
