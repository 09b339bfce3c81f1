import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type * as LambdaModule from '@aws-sdk/client-lambda';

/** One Lambda function as `gatehouse deploy` makes it exist. */
export interface LambdaFunctionSpec {
  readonly functionName: string;
  /** The zip `gatehouse build --target lambda` wrote. */
  readonly zip: Uint8Array;
  /** Defaults to `index.handler`. */
  readonly handler?: string;
  /** Defaults to `nodejs24.x`, Lambda's newest Node runtime. */
  readonly runtime?: 'nodejs24.x' | 'nodejs22.x';
  /** MB. Defaults to 512. */
  readonly memorySize?: number;
  /** Seconds. Defaults to 30. */
  readonly timeout?: number;
  /** Defaults to `arm64`. */
  readonly architecture?: 'arm64' | 'x86_64';
  /** An execution role's ARN; without one, `<functionName>-role` is found or made. */
  readonly role?: string;
  /** `RESPONSE_STREAM` for an App that streams (a `streamHandler`), else `BUFFERED`. */
  readonly invokeMode: 'BUFFERED' | 'RESPONSE_STREAM';
  readonly environment?: Readonly<Record<string, string>>;
}

export interface DeployClients {
  readonly lambda: LambdaClient;
  readonly iam: IAMClient;
}

export interface DeployTiming {
  /** Between two polls of the function's state. Defaults to 1 s. */
  readonly pollInterval?: number;
  /** How long to wait for a state, or for a new role to be usable. Defaults to 5 min. */
  readonly maxWait?: number;
}

export interface DeployedFunction {
  readonly functionArn: string;
  readonly url: string;
  /** Whether this deploy created the function (else it updated it). */
  readonly created: boolean;
  readonly roleArn: string;
}

const TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const BASIC_EXECUTION = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
/**
 * The description every function gatehouse makes carries. A function of
 * the same name without it was made by someone else: deploying over it
 * would replace their code. (A description, not a tag: GetFunction returns
 * tags only to callers allowed lambda:ListTags.)
 */
export const MADE_BY_GATEHOUSE = 'Made by gatehouse deploy';

/** A step the deploy could not take, in AWS's words, with what to do. */
export class DeployError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployError';
  }
}

const errorName = (error: unknown): string | undefined => (error as { name?: string }).name;

/**
 * Make `spec` the function that runs, with a public Function URL: create it
 * (and its role) the first time, update its code and then its
 * configuration afterwards. Between steps it waits on the function's state
 * as Lambda asks (`Pending` → `Active`, `LastUpdateStatus` `InProgress` →
 * `Successful`) and fails with AWS's reason on `Failed`. A role just made
 * is retried until Lambda can assume it, as AWS documents.
 */
export async function deployLambdaFunction(
  spec: LambdaFunctionSpec,
  clients: DeployClients,
  step: (text: string) => void = () => {},
  timing: DeployTiming = {},
): Promise<DeployedFunction> {
  const lambda = await import('@aws-sdk/client-lambda');
  const pollInterval = timing.pollInterval ?? 1_000;
  const maxWait = timing.maxWait ?? 300_000;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  const role = spec.role === undefined ? await ensureRole(`${spec.functionName}-role`, clients.iam, step) : { arn: spec.role, created: false };
  const roleArn = role.arn;
  const configuration = {
    Role: roleArn,
    Handler: spec.handler ?? 'index.handler',
    Runtime: spec.runtime ?? 'nodejs24.x',
    MemorySize: spec.memorySize ?? 512,
    Timeout: spec.timeout ?? 30,
    Environment: { Variables: { ...spec.environment } },
    Description: MADE_BY_GATEHOUSE,
  } as const;

  /** Poll until the function leaves its transition; fail with AWS's reason if it ends Failed. */
  const settled = async (what: string): Promise<void> => {
    const until = Date.now() + maxWait;
    for (;;) {
      const { Configuration: state } = await clients.lambda.send(new lambda.GetFunctionCommand({ FunctionName: spec.functionName }));
      if (state?.State === 'Failed') throw new DeployError(`${spec.functionName} failed to become active: ${state.StateReason ?? 'no reason given'}`);
      if (state?.LastUpdateStatus === 'Failed') throw new DeployError(`${spec.functionName}: ${what} failed: ${state.LastUpdateStatusReason ?? 'no reason given'}`);
      if (state?.State === 'Active' && state.LastUpdateStatus !== 'InProgress') return;
      if (Date.now() > until) throw new DeployError(`${spec.functionName} was still ${state?.State}/${state?.LastUpdateStatus} after ${maxWait / 1000} s (${what})`);
      await sleep(pollInterval);
    }
  };
  /** Send `command`, again while Lambda answers 409 (an update still in progress). */
  const whenFree = async <T>(send: () => Promise<T>): Promise<T> => {
    const until = Date.now() + maxWait;
    for (;;) {
      try {
        return await send();
      } catch (error) {
        if (errorName(error) !== 'ResourceConflictException' || Date.now() > until) throw error;
        await sleep(pollInterval);
      }
    }
  };

  let created = false;
  const existing = await clients.lambda.send(new lambda.GetFunctionCommand({ FunctionName: spec.functionName })).catch((error: unknown) => {
    if (errorName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  });
  const exists = existing !== undefined;
  if (exists && existing.Configuration?.Description?.startsWith(MADE_BY_GATEHOUSE) !== true) {
    throw new DeployError(
      `the function name ${spec.functionName} is taken by a function gatehouse did not make (its description does not start "${MADE_BY_GATEHOUSE}"): ` +
        'give this origin another functionName in gatehouse.config.ts, or set that description on it to let gatehouse replace its code',
    );
  }
  if (!exists) {
    step(`creating the function ${spec.functionName}`);
    const until = Date.now() + maxWait;
    for (let delay = pollInterval; ; delay = Math.min(delay * 2, 10 * pollInterval)) {
      try {
        await clients.lambda.send(
          new lambda.CreateFunctionCommand({
            FunctionName: spec.functionName,
            ...configuration,
            Architectures: [spec.architecture ?? 'arm64'],
            Code: { ZipFile: spec.zip },
          }),
        );
        break;
      } catch (error) {
        // A role IAM has only just made is not yet one Lambda can assume: AWS says to retry.
        const unassumable = errorName(error) === 'InvalidParameterValueException' && /cannot be assumed/.test((error as Error).message);
        // A role that was there before will not change by waiting: its trust policy is wrong.
        if (unassumable && !role.created) {
          throw new DeployError(`Lambda cannot assume the role ${roleArn}: its trust policy must let lambda.amazonaws.com assume it (or leave role out, and gatehouse makes one)`);
        }
        if (!unassumable || Date.now() > until) throw error;
        step(`the role is not usable yet; trying again in ${delay / 1000} s`);
        await sleep(delay);
      }
    }
    created = true;
    step('waiting for the function to be active');
    await settled('creation');
  } else {
    await settled('a previous update');
    step(`updating the code of ${spec.functionName}`);
    await whenFree(() => clients.lambda.send(new lambda.UpdateFunctionCodeCommand({ FunctionName: spec.functionName, ZipFile: spec.zip })));
    await settled('the code update');
    step('updating its configuration');
    await whenFree(() => clients.lambda.send(new lambda.UpdateFunctionConfigurationCommand({ FunctionName: spec.functionName, ...configuration })));
    await settled('the configuration update');
  }

  const url = await functionUrl(spec, clients.lambda, lambda, step);
  // A public URL needs both statements since October 2025; an existing one answers 409.
  for (const permission of [
    { StatementId: 'gatehouse-url-invoke', Action: 'lambda:InvokeFunctionUrl', FunctionUrlAuthType: 'NONE' as const },
    { StatementId: 'gatehouse-url-invoke-function', Action: 'lambda:InvokeFunction', InvokedViaFunctionUrl: true },
  ]) {
    await clients.lambda.send(new lambda.AddPermissionCommand({ FunctionName: spec.functionName, Principal: '*', ...permission })).catch((error: unknown) => {
      if (errorName(error) !== 'ResourceConflictException') throw error;
    });
  }
  const { Configuration } = await clients.lambda.send(new lambda.GetFunctionCommand({ FunctionName: spec.functionName }));
  return { functionArn: Configuration?.FunctionArn ?? '', url, created, roleArn };
}

async function functionUrl(
  spec: LambdaFunctionSpec,
  client: LambdaClient,
  lambda: typeof LambdaModule,
  step: (text: string) => void,
): Promise<string> {
  const current = await client.send(new lambda.GetFunctionUrlConfigCommand({ FunctionName: spec.functionName })).catch((error: unknown) => {
    if (errorName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  });
  if (current === undefined) {
    step(`creating its Function URL (${spec.invokeMode})`);
    const made = await client.send(new lambda.CreateFunctionUrlConfigCommand({ FunctionName: spec.functionName, AuthType: 'NONE', InvokeMode: spec.invokeMode }));
    return made.FunctionUrl ?? '';
  }
  if (current.InvokeMode !== spec.invokeMode || current.AuthType !== 'NONE') {
    step(`updating its Function URL (${spec.invokeMode})`);
    const changed = await client.send(new lambda.UpdateFunctionUrlConfigCommand({ FunctionName: spec.functionName, AuthType: 'NONE', InvokeMode: spec.invokeMode }));
    return changed.FunctionUrl ?? '';
  }
  return current.FunctionUrl ?? '';
}

/** The ARN of role `name`, made (trusting Lambda, with basic execution) when it does not exist. */
async function ensureRole(name: string, client: IAMClient, step: (text: string) => void): Promise<{ arn: string; created: boolean }> {
  const iam = await import('@aws-sdk/client-iam');
  try {
    const { Role } = await client.send(new iam.GetRoleCommand({ RoleName: name }));
    return { arn: Role?.Arn ?? '', created: false };
  } catch (error) {
    if (errorName(error) !== 'NoSuchEntityException' && errorName(error) !== 'NoSuchEntity') throw error;
  }
  step(`creating the execution role ${name}`);
  const { Role } = await client.send(new iam.CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST_POLICY, Description: 'Made by gatehouse deploy' }));
  await client.send(new iam.AttachRolePolicyCommand({ RoleName: name, PolicyArn: BASIC_EXECUTION }));
  return { arn: Role?.Arn ?? '', created: true };
}
