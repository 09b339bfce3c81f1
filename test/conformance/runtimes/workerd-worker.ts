// The conformance App as a module Worker, as a user deploys one: the `main`
// of wrangler.workerd.toml, bundled and run in workerd by runtimes/workerd.ts.
import { worker } from '@gatehouse/cloudflare';
import { conformanceApp } from '../src/app.ts';

export default worker(conformanceApp);
