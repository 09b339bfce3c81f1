// The edge as a Worker for the tests in ../assets-defaults.test.ts: every
// path served from the assets binding under its default settings
// (wrangler.assets-defaults.toml), plus a look at the binding's own answer.
import { worker } from '@gatehouse/cloudflare';
import { assetsBinding, defineEdge } from '@gatehouse/edge';

interface Env {
  ASSETS: Fetcher;
}

/** What the binding itself answered for one path: what the fake in assets-binding.test.ts models. */
export interface BindingAnswer {
  status: number;
  location: string | null;
  etag: string | null;
  contentType: string | null;
  contentLength: string | null;
  body: string;
}

export default worker(
  defineEdge((env: Env) => ({
    assets: assetsBinding(env.ASSETS),
    routes: {
      // `/__binding/about.html` → the binding's answer to `/about.html`, as the store asks it (no redirect followed).
      '^~ /__binding/': {
        fetch: async (request) => {
          const url = new URL(request.url);
          const path = url.pathname.slice('/__binding'.length);
          const response = await env.ASSETS.fetch(new Request(`https://assets.invalid${path}`, { redirect: 'manual' }));
          const answer: BindingAnswer = {
            status: response.status,
            location: response.headers.get('location'),
            etag: response.headers.get('etag'),
            contentType: response.headers.get('content-type'),
            contentLength: response.headers.get('content-length'),
            body: await response.text(),
          };
          return Response.json(answer);
        },
      },
      '/': { static: true },
    },
  })),
);
