// `gatehouse deploy` as a person runs it, a real process: its dry run on a
// project with every kind of tier, and a Lambda deploy through AWS SDK v3's
// standard chain (AWS_ENDPOINT_URL, keys, region) against the local stand-in
// for the Lambda and IAM APIs.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeAws, startFakeAws } from './deploy/_test-aws.ts';

vi.setConfig({ testTimeout: 60_000 });

const BIN = fileURLToPath(new URL('./bin.ts', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../test/build-project', import.meta.url));
// Inside the package: the project resolves its packages from this repository.
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const projects: string[] = [];
afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

function newProject(): string {
  const dir = mkdtempSync(join(PACKAGE, '.deploy-test-'));
  cpSync(FIXTURE, dir, { recursive: true });
  projects.push(dir);
  return dir;
}

/** No AWS configuration of this machine reaches the command: only what a test gives. */
const NO_AWS = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
const AWS_ISOLATED = { ...NO_AWS, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' };

function gatehouse(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=@gatehouse/source', BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let aws: FakeAws;
beforeEach(async () => {
  aws = await startFakeAws({ pollsPerTransition: 1, roleNotAssumableFor: 1 });
});
afterEach(() => aws.close());
const withFakeAws = (): NodeJS.ProcessEnv => ({
  ...AWS_ISOLATED,
  AWS_ENDPOINT_URL: aws.url,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'not-a-secret',
});

describe('gatehouse deploy --dry-run', () => {
  it('writes the artifacts and prints every call and resource, calling nothing', async () => {
    const project = newProject();
    const result = await gatehouse(project, ['deploy', '--dry-run'], { ...withFakeAws(), CLOUDFLARE_CF_FETCH_ENABLED: 'false' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('api (node): runs where you run it (https://api.example.com); nothing to ship from here');
    expect(result.stdout).toMatch(/^fn \(lambda\): would deploy dist\/fn\.zip \(\d+\.\d KiB\) as gatehouse-fn$/m);
    expect(result.stdout).toContain('IAM GetRole gatehouse-fn-role; if missing: CreateRole gatehouse-fn-role');
    expect(result.stdout).toContain('if missing: CreateFunction (nodejs24.x, arm64, 512 MB, 30 s, handler index.handler; role gatehouse-fn-role), then wait for State Active');
    expect(result.stdout).toContain('(AuthType NONE, InvokeMode BUFFERED)');
    expect(result.stdout).toContain('edge (workers): would run wrangler deploy --var ORIGIN:https://api.example.com --var FUNCTION:<the Function URL of gatehouse-fn>');
    expect(result.stdout).toMatch(/Dry run: nothing was called\.\n$/);
    expect(aws.calls).toEqual([]);
    for (const artifact of ['dist/fn.zip', 'dist/fn/index.mjs', 'dist/edge/edge.js']) expect(existsSync(join(project, artifact)), artifact).toBe(true);
  });
});

describe('gatehouse deploy to Lambda', () => {
  const lambdaOnly = (project: string, extra = ''): void =>
    writeFileSync(join(project, 'gatehouse.config.ts'), `export default { origins: { fn: { kind: 'lambda', entry: './src/handler.ts'${extra} } }, conditions: ['@gatehouse/source'] };\n`);

  it('creates the function the first time, updates it the second, and prints its URL', async () => {
    const project = newProject();
    lambdaOnly(project, ", functionName: 'shop-api', memorySize: 1024, stream: true");
    const first = await gatehouse(project, ['deploy'], withFakeAws());
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('creating the execution role shop-api-role');
    expect(first.stdout).toContain('the role is not usable yet; trying again in 1 s');
    expect(first.stdout).toMatch(/^ {2}\[\d+\.\d s\] created: https:\/\/\w+\.lambda-url\.us-east-1\.on\.aws\/$/m);
    expect(first.stdout).toMatch(/Done in \d+\.\d s\.\n {2}➜ fn: https:\/\/\w+\.lambda-url\.us-east-1\.on\.aws\/\n$/);
    expect(aws.functions.get('shop-api')?.configuration).toMatchObject({ MemorySize: 1024, Runtime: 'nodejs24.x', State: 'Active' });
    expect(aws.functions.get('shop-api')?.url?.InvokeMode).toBe('RESPONSE_STREAM');
    aws.calls.length = 0;
    const second = await gatehouse(project, ['deploy'], withFakeAws());
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/\] updated: https:/);
    expect(aws.calls).not.toContain('Lambda:CreateFunction');
    expect(aws.calls).toContain('Lambda:UpdateFunctionCode');
  });

  it('without credentials: one line with the fix', async () => {
    const project = newProject();
    lambdaOnly(project);
    const result = await gatehouse(project, ['deploy'], { ...AWS_ISOLATED, AWS_REGION: 'us-east-1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('gatehouse deploy: no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or sign in with aws sso login\n');
  });

  it('without a region: one line with the fix, and the key given never printed', async () => {
    const project = newProject();
    lambdaOnly(project);
    const { AWS_REGION: _, ...noRegion } = withFakeAws();
    const result = await gatehouse(project, ['deploy'], noRegion);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('gatehouse deploy: no AWS region: set AWS_REGION, or a region in your AWS profile\n');
    expect(result.stdout + result.stderr).not.toContain('not-a-secret');
  });
});

describe('gatehouse deploy: what a user can fix is one line', () => {
  const lambdaOnly = (project: string): void =>
    writeFileSync(join(project, 'gatehouse.config.ts'), `export default { origins: { fn: { kind: 'lambda', entry: './src/handler.ts' } }, conditions: ['@gatehouse/source'] };\n`);

  it('a region that is no region, before any call', async () => {
    const project = newProject();
    lambdaOnly(project);
    const result = await gatehouse(project, ['deploy'], { ...withFakeAws(), AWS_REGION: 'us-east1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('gatehouse deploy: AWS_REGION (or the profile\'s region) is "us-east1", which is not an AWS region: regions look like us-east-1 or eu-west-3\n');
    expect(aws.calls).toEqual([]);
  });

  it('an endpoint that cannot be found (a region AWS does not have)', async () => {
    const project = newProject();
    lambdaOnly(project);
    const result = await gatehouse(project, ['deploy'], { ...withFakeAws(), AWS_ENDPOINT_URL: 'http://lambda.nowhere.invalid', AWS_MAX_ATTEMPTS: '1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^gatehouse deploy: could not reach lambda\.nowhere\.invalid \((ENOTFOUND|EAI_AGAIN)\): check the region \(AWS_REGION, or the profile's\), and this machine's network\n$/);
  });

  it('a Worker name Cloudflare would refuse, before anything ships', async () => {
    const project = newProject();
    const toml = join(project, 'wrangler.toml');
    writeFileSync(toml, readFileSync(toml, 'utf8').replace(/^name = .*$/m, 'name = "Shop_Edge"'));
    const result = await gatehouse(project, ['deploy'], withFakeAws());
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'gatehouse deploy: wrangler.toml name "Shop_Edge" is not a Worker name: lowercase letters, digits and dashes, not starting or ending with a dash (e.g. "shop-edge")\n',
    );
    // The Lambda origin was not deployed either.
    expect(aws.calls).toEqual([]);
  });
});
