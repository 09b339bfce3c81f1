// The Lambda deploy's real calls, through AWS SDK v3, against a local
// endpoint that answers as the Lambda and IAM APIs do (./_test-aws.ts).
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type FakeAws, startFakeAws } from './_test-aws.ts';
import { deployLambdaFunction, type DeployClients } from './lambda-function.ts';

let aws: FakeAws;
let clients: DeployClients;
const timing = { pollInterval: 5, maxWait: 10_000 };
// The SDK signs every request, a local endpoint's too: any static keys do.
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

beforeEach(async () => {
  aws = await startFakeAws({ pollsPerTransition: 3, roleNotAssumableFor: 2 });
  clients = {
    lambda: new LambdaClient({ endpoint: aws.url, region: 'us-east-1', credentials, maxAttempts: 1 }),
    iam: new IAMClient({ endpoint: aws.url, region: 'us-east-1', credentials, maxAttempts: 1 }),
  };
});
afterEach(() => aws.close());

const spec = { functionName: 'site-app', zip: new Uint8Array([80, 75, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), invokeMode: 'BUFFERED' } as const;

it('creates the role, retries the function until Lambda can assume it, waits for Active, then makes a public URL', async () => {
  const steps: string[] = [];
  const deployed = await deployLambdaFunction(spec, clients, (step) => steps.push(step), timing);
  expect(deployed.created).toBe(true);
  expect(deployed.url).toMatch(/^https:\/\/[0-9a-f]+\.lambda-url\.us-east-1\.on\.aws\/$/);
  expect(deployed.roleArn).toBe('arn:aws:iam::123456789012:role/site-app-role');
  expect(aws.calls).toEqual([
    'IAM:GetRole',
    'IAM:CreateRole',
    'IAM:AttachRolePolicy',
    'Lambda:GetFunction',
    // Twice refused: the new role is not assumable yet.
    'Lambda:CreateFunction',
    'Lambda:CreateFunction',
    'Lambda:CreateFunction',
    // Pending for three polls, then Active.
    'Lambda:GetFunction',
    'Lambda:GetFunction',
    'Lambda:GetFunction',
    'Lambda:GetFunctionUrlConfig',
    'Lambda:CreateFunctionUrlConfig',
    'Lambda:AddPermission',
    'Lambda:AddPermission',
    'Lambda:GetFunction',
  ]);
  expect(aws.roles.get('site-app-role')?.policies).toEqual(['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
  const fn = aws.functions.get('site-app')!;
  expect(fn.configuration).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'index.handler', Architectures: ['arm64'], MemorySize: 512, Timeout: 30, State: 'Active' });
  expect([...fn.statements.values()]).toEqual([
    { StatementId: 'gatehouse-url-invoke', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' },
    { StatementId: 'gatehouse-url-invoke-function', Action: 'lambda:InvokeFunction', Principal: '*', InvokedViaFunctionUrl: true },
  ]);
  expect(steps[0]).toBe('creating the execution role site-app-role');
  expect(steps).toContain('the role is not usable yet; trying again in 0.005 s');
});

it('a second deploy updates the code, then the configuration, each after the last update settled, and keeps the URL', async () => {
  const first = await deployLambdaFunction(spec, clients, undefined, timing);
  aws.calls.length = 0;
  const second = await deployLambdaFunction({ ...spec, memorySize: 1024, invokeMode: 'RESPONSE_STREAM' }, clients, undefined, timing);
  expect(second.created).toBe(false);
  expect(second.url).toBe(first.url);
  expect(aws.calls).toEqual([
    'IAM:GetRole',
    'Lambda:GetFunction',
    'Lambda:GetFunction',
    'Lambda:UpdateFunctionCode',
    'Lambda:GetFunction',
    'Lambda:GetFunction',
    'Lambda:GetFunction',
    'Lambda:UpdateFunctionConfiguration',
    'Lambda:GetFunction',
    'Lambda:GetFunction',
    'Lambda:GetFunction',
    'Lambda:GetFunctionUrlConfig',
    'Lambda:UpdateFunctionUrlConfig',
    // Both statements exist: 409, taken as present.
    'Lambda:AddPermission',
    'Lambda:AddPermission',
    'Lambda:GetFunction',
  ]);
  expect(aws.functions.get('site-app')!.configuration.MemorySize).toBe(1024);
  expect(aws.functions.get('site-app')!.url?.InvokeMode).toBe('RESPONSE_STREAM');
});

it('an update refused with 409 (another update just began) is sent again', async () => {
  await deployLambdaFunction(spec, clients, undefined, timing);
  aws.calls.length = 0;
  aws.conflicts = 2;
  await deployLambdaFunction(spec, clients, undefined, timing);
  expect(aws.calls.filter((call) => /^Lambda:Update(Code|Configuration|FunctionCode|FunctionConfiguration)$/.test(call))).toEqual([
    'Lambda:UpdateFunctionCode',
    'Lambda:UpdateFunctionCode',
    'Lambda:UpdateFunctionCode',
    'Lambda:UpdateFunctionConfiguration',
  ]);
});

it('an update that ends Failed stops the deploy with the reason AWS gave', async () => {
  await deployLambdaFunction(spec, clients, undefined, timing);
  aws.failNextUpdate = 'Unzipped size must be smaller than 262144000 bytes';
  await expect(deployLambdaFunction(spec, clients, undefined, timing)).rejects.toThrow(
    'site-app: the code update failed: Unzipped size must be smaller than 262144000 bytes',
  );
  expect(aws.calls).not.toContain('Lambda:UpdateFunctionConfiguration');
});

it('a name another function already has is refused, and that function is left as it was', async () => {
  aws.seedFunction('site-app', 'the billing job');
  await expect(deployLambdaFunction(spec, clients, undefined, timing)).rejects.toThrow(
    'the function name site-app is taken by a function gatehouse did not make (its description does not start "Made by gatehouse deploy"): give this origin another functionName',
  );
  expect(aws.calls.filter((call) => call.startsWith('Lambda:'))).toEqual(['Lambda:GetFunction']);
  expect(aws.functions.get('site-app')!.configuration).toMatchObject({ Runtime: 'python3.13', Description: 'the billing job' });
});

it('a function gatehouse made says so, and is updated', async () => {
  await deployLambdaFunction(spec, clients, undefined, timing);
  expect(aws.functions.get('site-app')!.configuration.Description).toBe('Made by gatehouse deploy');
  await expect(deployLambdaFunction(spec, clients, undefined, timing)).resolves.toMatchObject({ created: false });
});

it('a role that was there already and Lambda cannot assume fails at once, with the fix', async () => {
  const arn = aws.seedRole('site-app-role', false);
  await expect(deployLambdaFunction(spec, clients, undefined, { pollInterval: 5, maxWait: 60_000 })).rejects.toThrow(
    `Lambda cannot assume the role ${arn}: its trust policy must let lambda.amazonaws.com assume it`,
  );
  // Not retried for maxWait, as a role just made would be.
  expect(aws.calls.filter((call) => call === 'Lambda:CreateFunction')).toHaveLength(1);
});
