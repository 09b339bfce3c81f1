import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseCommandArgs } from '../command-args.ts';
import { edgeVarOf, loadConfigFile } from '../config-file.ts';
import type { IAMClient } from '@aws-sdk/client-iam';
import type * as IamModule from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type * as LambdaModule from '@aws-sdk/client-lambda';
import type { LambdaOriginConfig } from '../config.ts';
import { deployLambdaFunction, DeployError, type LambdaFunctionSpec } from '../deploy/lambda-function.ts';
import { UsageError } from '../usage-error.ts';
import { runWrangler, workerNameOf, workerNameProblem } from '../wrangler-command.ts';
import { buildLambda, buildWorker } from './build.ts';

export const DEPLOY_HELP = `Usage: gatehouse deploy [options]

Ships the tiers of gatehouse.config.ts, origins first:

  lambda   each Lambda origin is built (as gatehouse build does), then created
           or updated on AWS with a public Function URL (nodejs24.x), its
           execution role made when none is named
  edge     the Worker, through \`wrangler deploy\`, with each origin's URL in
           its edgeVar: the Function URL just made, or a Node origin's url

Credentials and region come only from AWS's standard chain (AWS_PROFILE,
AWS_ACCESS_KEY_ID…, SSO, AWS_REGION) and Cloudflare's environment
(CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID); none is ever printed.

Options:
      --dry-run          build, and print the calls and resources a deploy would
                         make, without calling anything (default: off)
  -c, --config <file>    config file (default: ./gatehouse.config.{ts,mjs,js})
  -h, --help             this help
`;

const OPTIONS = {
  'dry-run': { type: 'boolean' },
  config: { type: 'string', short: 'c' },
} as const;

/** `gatehouse deploy`: resolves with the exit code. */
export async function deploy(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`deploy takes no arguments, not ${positionals.join(' ')}`, { seeHelp: true });
  const dryRun = values['dry-run'] === true;
  const { file, root, config } = await loadConfigFile(values.config);
  if (file === undefined) throw new UsageError('no gatehouse.config.ts here: deploy ships the tiers it names');
  const name = relative(process.cwd(), file) || file;
  const project = projectName(root);
  const conditions = config.conditions ?? [];
  const origins = Object.entries(config.origins ?? {});
  const started = Date.now();
  const say = (text: string): void => void process.stdout.write(`${text}\n`);
  const step = (text: string): void => say(`  [${((Date.now() - started) / 1000).toFixed(1)} s] ${text}`);

  // What would stop the edge is found before anything ships.
  const wrangler = config.edge === undefined ? undefined : resolve(root, config.edge.wrangler ?? './wrangler.toml');
  if (wrangler !== undefined) {
    if (!existsSync(wrangler)) throw new UsageError(`${name}: edge.wrangler is ${config.edge!.wrangler ?? './wrangler.toml'}, which does not exist`);
    const problem = workerNameProblem(await workerNameOf(root, wrangler));
    if (problem !== undefined) throw new UsageError(`${relative(process.cwd(), wrangler) || wrangler} ${problem}`);
  }
  let clients: Awaited<ReturnType<typeof awsClients>> | undefined;

  // Every origin's address for the edge, known before the edge goes out.
  const vars: Record<string, string> = {};
  const urls: string[] = [];
  // The artifacts stay, as gatehouse build leaves them: what was shipped, or would be.
  const outdir = join(root, 'dist');
  rmSync(outdir, { recursive: true, force: true });
  for (const [originName, origin] of origins) {
    const edgeVar = edgeVarOf(origin, origins.length);
    if (origin.kind === 'node') {
      if (config.edge !== undefined && origin.url === undefined) {
        throw new UsageError(`${name}: origins.${originName}.url is missing: the edge needs to know where the Node origin runs in production`);
      }
      if (origin.url !== undefined) vars[edgeVar] = origin.url;
      say(`${originName} (node): runs where you run it${origin.url === undefined ? '' : ` (${origin.url})`}; nothing to ship from here`);
      continue;
    }
    const entry = resolve(root, origin.entry);
    if (!existsSync(entry)) throw new UsageError(`${name}: origins.${originName}.entry is ${origin.entry}, which does not exist`);
    const artifacts = await buildLambda(entry, join(outdir, originName), conditions);
    const zip = artifacts.find((path) => path.endsWith('.zip'))!;
    const spec = lambdaSpec(origin, `${project}-${originName}`, readFileSync(zip));
    if (dryRun) {
      say(`${originName} (lambda): would deploy ${relative(process.cwd(), zip) || zip} (${(spec.zip.byteLength / 1024).toFixed(1)} KiB) as ${spec.functionName}`);
      for (const line of lambdaPlan(spec)) say(`  ${line}`);
      vars[edgeVar] = `<the Function URL of ${spec.functionName}>`;
      continue;
    }
    say(`${originName} (lambda): ${spec.functionName}`);
    clients ??= await awsClients();
    const deployed = await deployLambdaFunction(spec, clients, step).catch(explainAwsError);
    step(`${deployed.created ? 'created' : 'updated'}: ${deployed.url}`);
    vars[edgeVar] = deployed.url.replace(/\/$/, '');
    urls.push(`${originName}: ${deployed.url}`);
  }

  if (wrangler !== undefined) {
    const varArgs = Object.entries(vars).flatMap(([key, value]) => ['--var', `${key}:${value}`]);
    if (dryRun) {
      const files = await buildWorker(root, wrangler, join(outdir, 'edge'), conditions);
      say(`edge (workers): would run wrangler deploy ${varArgs.join(' ')}`.trimEnd());
      say(`  the Worker as wrangler would upload it: ${files.map((path) => relative(process.cwd(), path)).join(', ')}`);
    } else {
      say('edge (workers): wrangler deploy');
      const output = join(outdir, 'wrangler-output.ndjson');
      const { code, output: text } = await runWrangler(root, wrangler, ['deploy', ...varArgs], conditions, { WRANGLER_OUTPUT_FILE_PATH: output });
      if (code !== 0) throw new DeployError(`wrangler deploy failed:\n${text.trim()}`);
      const deployedUrls = existsSync(output) ? workerUrls(readFileSync(output, 'utf8')) : [];
      step(`deployed${deployedUrls.length > 0 ? `: ${deployedUrls.join(', ')}` : ''}`);
      urls.unshift(...deployedUrls.map((url) => `edge: ${url}`));
    }
  }
  say(dryRun ? '\nDry run: nothing was called.' : `\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s.${urls.length > 0 ? `\n${urls.map((url) => `  ➜ ${url}`).join('\n')}` : ''}`);
  return 0;
}

function projectName(root: string): string {
  try {
    const { name } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string };
    return (name ?? 'gatehouse').replace(/^@[^/]+\//, '').replace(/[^\w-]/g, '-');
  } catch {
    return 'gatehouse';
  }
}

function lambdaSpec(origin: LambdaOriginConfig, defaultName: string, zip: Uint8Array): LambdaFunctionSpec {
  return {
    functionName: origin.functionName ?? defaultName.slice(0, 64),
    zip,
    memorySize: origin.memorySize,
    timeout: origin.timeout,
    architecture: origin.architecture,
    role: origin.role,
    invokeMode: origin.stream === true ? 'RESPONSE_STREAM' : 'BUFFERED',
  };
}

/** What deployLambdaFunction would call, in order, for a dry run. */
function lambdaPlan(spec: LambdaFunctionSpec): string[] {
  const role = spec.role ?? `${spec.functionName}-role`;
  const settings = `${spec.runtime ?? 'nodejs24.x'}, ${spec.architecture ?? 'arm64'}, ${spec.memorySize ?? 512} MB, ${spec.timeout ?? 30} s, handler ${spec.handler ?? 'index.handler'}`;
  return [
    ...(spec.role === undefined ? [`IAM GetRole ${role}; if missing: CreateRole ${role} (trusting lambda.amazonaws.com) and AttachRolePolicy AWSLambdaBasicExecutionRole`] : []),
    `Lambda GetFunction ${spec.functionName}`,
    `  if missing: CreateFunction (${settings}; role ${role}), then wait for State Active`,
    `  if present and made by gatehouse (its description): UpdateFunctionCode, wait for LastUpdateStatus Successful, UpdateFunctionConfiguration (${settings}), wait again`,
    '  if present and not made by gatehouse: stop, the name is taken',
    `Lambda GetFunctionUrlConfig; CreateFunctionUrlConfig or UpdateFunctionUrlConfig (AuthType NONE, InvokeMode ${spec.invokeMode})`,
    'Lambda AddPermission lambda:InvokeFunctionUrl (Principal *, FunctionUrlAuthType NONE) and lambda:InvokeFunction (Principal *, InvokedViaFunctionUrl)',
  ];
}

/** Clients on AWS's standard chain: credentials and region from the environment, profile or SSO. */
async function awsClients(): Promise<{ lambda: LambdaClient; iam: IAMClient }> {
  let lambda: typeof LambdaModule;
  let iam: typeof IamModule;
  try {
    [lambda, iam] = await Promise.all([import('@aws-sdk/client-lambda'), import('@aws-sdk/client-iam')]);
  } catch {
    throw new UsageError('deploying to Lambda needs the AWS SDK: npm install --save-dev @aws-sdk/client-lambda @aws-sdk/client-iam');
  }
  const clients = { lambda: new lambda.LambdaClient({}), iam: new iam.IAMClient({}) };
  // A region that is no region would fail later as an unknown host: say so first.
  const region = await clients.lambda.config.region().catch(explainAwsError);
  if (!AWS_REGION.test(region)) throw new DeployError(`AWS_REGION (or the profile's region) is "${region}", which is not an AWS region: regions look like us-east-1 or eu-west-3`);
  return clients;
}

/** How every AWS region is written: `us-east-1`, `ap-southeast-4`, `us-gov-west-1`, `eu-isoe-west-1`. */
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** AWS's errors a person can fix, as one line with the fix; others as they are. */
function explainAwsError(error: unknown): never {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? String(error);
  if (/Region is missing/i.test(message)) throw new DeployError('no AWS region: set AWS_REGION, or a region in your AWS profile');
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    throw new DeployError('no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or sign in with aws sso login');
  }
  if (name === 'UnrecognizedClientException' || name === 'InvalidSignatureException') {
    throw new DeployError(`AWS refused the credentials (${name}): check the key and the region`);
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') throw new DeployError(`AWS denied a call: ${message}`);
  const code = (error as { code?: string }).code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const host = (error as { hostname?: string }).hostname ?? /ENOTFOUND (\S+)/.exec(message)?.[1] ?? 'AWS';
    throw new DeployError(`could not reach ${host} (${code}): check the region (AWS_REGION, or the profile's), and this machine's network`);
  }
  throw error instanceof DeployError ? error : new DeployError(`${name || 'error'}: ${message}`);
}

/** The Worker URLs in wrangler's ND-JSON output file (its `deploy` entries' targets). */
function workerUrls(ndjson: string): string[] {
  const urls: string[] = [];
  for (const line of ndjson.split('\n')) {
    if (line.trim() === '') continue;
    const entry = JSON.parse(line) as { type?: string; targets?: string[] };
    if (entry.type === 'deploy') urls.push(...(entry.targets ?? []));
  }
  return urls;
}
