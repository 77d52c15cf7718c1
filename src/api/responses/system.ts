// The server itself: liveness, and the live stream of changes.
import { z } from 'zod';
import type { Services } from '../../services';
import { exactly } from './shared';

export const serverHealthResponse = z
  .object({
    status: z.literal('ok'),
    version: z.string().describe('The API version'),
    store: exactly<Services['store']['kind']>()(z.enum(['sqlite', 'postgres'])),
  })
  .meta({ id: 'ServerHealth' });

export const eventStreamResponse = {
  description:
    'A text/event-stream: `retry: 3000`, then one `event: change` per committed change, its `id` the audit ' +
    'entry’s and its data the change as JSON; `: keep-alive` comments in between.',
  content: { 'text/event-stream': { schema: z.string() } },
};
