// The entry of a local function process: `node bootstrap.js` with
// AWS_LAMBDA_RUNTIME_API, _HANDLER and LAMBDA_TASK_ROOT set, as Lambda
// starts its Node.js runtime.
import { runRuntimeClient } from './runtime-client.ts';

await runRuntimeClient();
