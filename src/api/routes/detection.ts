// Detection rules (configuration) and an on-demand detection run.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services';
import { actorOf } from '../auth-hook';

export const detectionRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get('/detection/rules', { schema: { tags: ['detection'] } }, async () => ({
      items: await services.detection.rules(),
    }));

    app.put(
      '/detection/rules',
      {
        config: { access: 'config.write' },
        schema: {
          tags: ['detection'],
          description:
            'Replace the rule set. Each rule: key, name, reason (a risk reason key), condition ' +
            '(health_below | health_drop | measure), cooldownDays, hysteresis, active.',
          body: z.object({ items: z.array(z.unknown()).max(200) }),
        },
      },
      async (request) => ({
        items: await services.detection.updateRules(actorOf(request), request.body.items),
      }),
    );

    app.post(
      '/detection/run',
      {
        config: { access: 'config.write' },
        schema: { tags: ['detection'], description: 'Evaluate every rule for every account now.' },
      },
      () => services.detection.evaluate(),
    );
    done();
  };
