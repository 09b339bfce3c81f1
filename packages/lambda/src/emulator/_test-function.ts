// A function for the Runtime API tests, bundled by them with esbuild.
import { handler as buffered, type LambdaHandler, streamHandler, type StreamingHandler } from '../index.ts';

const app = {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/fail') throw new Error('the App failed');
    // Which process answered: a fresh one after a crash is a cold start.
    if (url.pathname === '/pid') return new Response(String(process.pid));
    if (url.pathname === '/crash') process.exit(3);
    // The timer keeps the process up: an empty event loop would end it, and this invocation with it.
    if (url.pathname === '/hang') await new Promise(() => setInterval(() => {}, 1_000));
    if (url.pathname === '/stream') {
      let n = 0;
      return new Response(
        new ReadableStream({
          async pull(controller) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            if (n === 3) controller.close();
            else controller.enqueue(new TextEncoder().encode(`part ${n++};`));
          },
        }),
      );
    }
    const headers = new Headers({ 'x-runtime': 'api' });
    headers.append('set-cookie', 'a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT');
    headers.append('set-cookie', 'b=2');
    const body = request.method === 'POST' ? await request.text() : `hello ${url.searchParams.get('name')}`;
    return new Response(body, { headers });
  },
};

export const handler: LambdaHandler = buffered(app, { onError: () => {} });
export const streaming: StreamingHandler = streamHandler(app, { onError: () => {} });
export const broken = async (): Promise<never> => {
  throw new TypeError('the handler itself broke');
};
