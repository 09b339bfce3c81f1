// The edge with an access log in workerd: each line is posted to the
// collector the test runs, from inside ctx.waitUntil (the only place a
// Worker may still fetch once its answer has gone).
import { worker } from '@gatehouse/cloudflare';
import { defineEdge } from '@gatehouse/edge';

interface Env {
  /** Where lines go: the test's collector. */
  COLLECTOR: string;
}

export default worker(
  defineEdge((env: Env) => ({
    accessLog: {
      format: 'json',
      write: async (line) => {
        await fetch(env.COLLECTOR, { method: 'POST', body: line });
      },
    },
    routes: {
      '= /hello': { respond: 'hello' },
      '/stream': {
        fetch: () =>
          new Response(
            new ReadableStream({
              start(controller) {
                controller.enqueue(new TextEncoder().encode('abc'));
                controller.enqueue(new TextEncoder().encode('defgh'));
                controller.close();
              },
            }),
          ),
      },
      '/': { respond: 'forbidden', access: ['deny all'] },
    },
  })),
);
