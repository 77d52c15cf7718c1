// Detection rules (configuration), an on-demand detection run, and configuration export/import.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services';
import { actorOf } from '../auth-hook';
import { ifMatch, ifMatchHeader, itemsWithRevision } from '../revision';
import {
  configDocumentResponse,
  configImportResponse,
  detectionBacktestResponse,
  detectionRulesResponse,
  detectionRunSchema,
} from '../responses';

export const detectionRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/detection/rules',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getDetectionRules',
          response: { 200: detectionRulesResponse },
          summary: 'Get the detection rules',
          tags: ['detection'],
        },
      },
      async (_request, reply) => itemsWithRevision(reply, await services.detection.rules()),
    );

    app.put(
      '/detection/rules',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'replaceDetectionRules',
          headers: ifMatchHeader,
          response: { 200: detectionRulesResponse },
          summary: 'Replace the detection rules',
          tags: ['detection'],
          description:
            'Replace the rule set. Each rule: key, name, reason (a risk reason key), condition ' +
            '(health_below | health_drop | measure), cooldownDays, hysteresis, active.',
          body: z.object({ items: z.array(z.unknown()).max(200) }),
        },
      },
      async (request, reply) =>
        itemsWithRevision(
          reply,
          await services.detection.updateRules(actorOf(request), request.body.items, ifMatch(request)),
        ),
    );

    app.get(
      '/config/export',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'exportConfig',
          response: { 200: configDocumentResponse },
          summary: 'Export the configuration',
          tags: ['configuration'],
          description: 'Stages, reasons, settings, scorecard and detection rules as one JSON document.',
        },
      },
      () => services.configTransfer.export(),
    );

    app.put(
      '/config/import',
      {
        config: { access: 'config.write' },
        bodyLimit: 4 * 1024 * 1024,
        schema: {
          operationId: 'importConfig',
          response: { 200: configImportResponse },
          summary: 'Apply an exported configuration',
          tags: ['configuration'],
          description: 'Apply an exported configuration document: adds and updates by key, all or nothing.',
          body: z.record(z.string(), z.unknown()),
        },
      },
      (request) => services.configTransfer.import(actorOf(request), request.body),
    );

    app.post(
      '/detection/run',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'runDetection',
          response: { 200: detectionRunSchema },
          summary: 'Run detection on every account',
          tags: ['detection'],
          description: 'Evaluate every rule for every account now.',
        },
      },
      () => services.detection.evaluate(),
    );
    app.post(
      '/detection/backtest',
      {
        config: { access: 'config.write' },
        bodyLimit: 1024 * 1024,
        schema: {
          operationId: 'backtestDetection',
          response: { 200: detectionBacktestResponse },
          summary: 'Try the detection rules on the stored history',
          tags: ['detection'],
          description:
            'Replay detection day by day from `from` to `to` (at most 731 days) over the stored signals, in memory: ' +
            'nothing is written. The cases it would have opened are judged against the cases that closed as lost: ' +
            'precision, recall 30/60/90 days ahead, median lead, right reason at opening, and a table per rule. ' +
            'With `rules`, that rule set is replayed beside the live one, with the accounts it would flag differently.',
          body: z.object({
            from: z.string().max(10).describe('First day replayed, YYYY-MM-DD'),
            to: z.string().max(10).describe('Last day replayed, YYYY-MM-DD'),
            rules: z
              .array(z.unknown())
              .max(200)
              .optional()
              .describe('A rule set to try, as PUT /detection/rules takes'),
          }),
        },
      },
      (request) => services.detectionBacktest.run(request.body),
    );
    done();
  };
