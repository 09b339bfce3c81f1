// The test Worker's exports, as `wrangler types` would declare them: this
// types `exports.default` (from cloudflare:workers) in the tests.
import type * as testWorker from './worker.ts';

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof testWorker;
    }
  }
}
