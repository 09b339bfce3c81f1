// One hello App per framework, each as a Lambda handler. Every file under
// entries/ is bundled with esbuild and run in a fresh process, as Lambda would.
export const ENTRIES = {
  '@gatehouse/lambda': 'gatehouse.ts',
  'hono/aws-lambda': 'hono.ts',
  'serverless-http': 'serverless-http.ts',
  '(floor: real Request/Response)': 'floor.ts',
  'app alone (baseline)': 'baseline.ts',
} as const;
