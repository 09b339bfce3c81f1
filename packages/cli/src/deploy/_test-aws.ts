// A local stand-in for the Lambda (restJson1) and IAM (awsQuery) APIs, for
// the calls `gatehouse deploy` makes: their paths, status codes, JSON and
// XML shapes and error headers as AWS's API reference gives them, the
// function's states moving over several polls, 409 while an update runs,
// and a new role Lambda cannot assume for its first uses.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface FakeAwsOptions {
  /** GetFunction polls a new function stays Pending, and an update InProgress. */
  readonly pollsPerTransition?: number;
  /** CreateFunction calls with a role created here that fail as not assumable yet. */
  readonly roleNotAssumableFor?: number;
}

export interface FakeAws {
  readonly url: string;
  /** Every call, `Service:Operation`, in order. */
  readonly calls: string[];
  readonly functions: Map<string, FakeFunction>;
  readonly roles: Map<string, { arn: string; policies: string[] }>;
  /** Answer this many more code or configuration updates 409, as when another update has just begun. */
  conflicts: number;
  /** The next code update ends Failed, with this reason. */
  failNextUpdate: string | undefined;
  /** A function made outside this deploy (another tool's), Active, with this description. */
  seedFunction(name: string, description?: string): void;
  /** A role that exists already; `assumable: false` for one whose trust policy leaves Lambda out. */
  seedRole(name: string, assumable: boolean): string;
  close(): Promise<void>;
}

interface FakeFunction {
  configuration: Record<string, unknown>;
  /** Polls left before the current transition ends. */
  pollsLeft: number;
  /** Why the current transition will end Failed, if it will. */
  failure?: string;
  url?: { FunctionUrl: string; AuthType: string; InvokeMode: string };
  statements: Map<string, Record<string, unknown>>;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

export async function startFakeAws(options: FakeAwsOptions = {}): Promise<FakeAws> {
  const polls = options.pollsPerTransition ?? 2;
  const calls: string[] = [];
  const functions = new Map<string, FakeFunction>();
  const roles = new Map<string, { arn: string; policies: string[] }>();
  const unassumable = new Map<string, number>();
  const fake: { conflicts: number; failNextUpdate: string | undefined } = { conflicts: 0, failNextUpdate: undefined };
  const takeConflict = (): boolean => fake.conflicts > 0 && fake.conflicts-- > 0;

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(body));
  };
  const lambdaError = (res: ServerResponse, status: number, type: string, message: string): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify({ Type: 'User', message }));
  };
  const iamXml = (res: ServerResponse, status: number, xml: string): void => {
    res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
    res.end(xml);
  };
  const arnOf = (name: string): string => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
  const nameOf = (raw: string): string => decodeURIComponent(raw).split(':').pop()!;
  /** One poll of a function: its transition moves on. */
  const advance = (fn: FakeFunction): void => {
    if (fn.pollsLeft > 0 && --fn.pollsLeft === 0) {
      fn.configuration.State = 'Active';
      fn.configuration.LastUpdateStatus = fn.failure === undefined ? 'Successful' : 'Failed';
      if (fn.failure !== undefined) fn.configuration.LastUpdateStatusReason = fn.failure;
      fn.failure = undefined;
    }
  };
  const busy = (fn: FakeFunction): boolean => fn.configuration.State === 'Pending' || fn.configuration.LastUpdateStatus === 'InProgress';
  const conflict = (res: ServerResponse, fn: FakeFunction): void =>
    lambdaError(
      res,
      409,
      'ResourceConflictException',
      fn.configuration.State === 'Pending'
        ? `The operation cannot be performed at this time. The function is currently in the following state: Pending`
        : `The operation cannot be performed at this time. An update is in progress for resource: ${String(fn.configuration.FunctionArn)}`,
    );

  const lambda = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const parts = path.split('/').filter(Boolean);
    const input = body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
    const [version, , rawName, sub] = parts;
    const name = rawName === undefined ? undefined : nameOf(rawName);
    const fn = name === undefined ? undefined : functions.get(name);
    const record = (operation: string): void => void calls.push(`Lambda:${operation}`);
    const notFound = (): void => lambdaError(res, 404, 'ResourceNotFoundException', `Function not found: ${arnOf(name ?? '')}`);

    if (version === '2015-03-31' && req.method === 'POST' && parts.length === 2) {
      record('CreateFunction');
      const functionName = String(input.FunctionName);
      const role = String(input.Role);
      if (functions.has(functionName)) return lambdaError(res, 409, 'ResourceConflictException', `Function already exist: ${functionName}`);
      if (!['nodejs24.x', 'nodejs22.x'].includes(String(input.Runtime))) return lambdaError(res, 400, 'InvalidParameterValueException', `Value ${String(input.Runtime)} at 'runtime' failed to satisfy constraint`);
      const left = unassumable.get(role) ?? 0;
      if (left > 0) {
        unassumable.set(role, left - 1);
        return lambdaError(res, 400, 'InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
      }
      const zip = Buffer.from(String((input.Code as { ZipFile: string }).ZipFile), 'base64');
      const configuration = {
        FunctionName: functionName,
        FunctionArn: arnOf(functionName),
        Runtime: input.Runtime,
        Role: role,
        Handler: input.Handler,
        CodeSize: zip.byteLength,
        CodeSha256: createHash('sha256').update(zip).digest('base64'),
        Timeout: input.Timeout ?? 3,
        MemorySize: input.MemorySize ?? 128,
        Architectures: input.Architectures ?? ['x86_64'],
        Environment: input.Environment,
        Description: input.Description ?? '',
        RevisionId: randomUUID(),
        State: 'Pending',
        StateReason: 'The function is being created.',
        LastUpdateStatus: 'InProgress',
        Version: '$LATEST',
      };
      functions.set(functionName, { configuration, pollsLeft: polls, statements: new Map() });
      return json(res, 201, configuration);
    }
    if (version === '2015-03-31' && parts.length === 3 && req.method === 'GET') {
      record('GetFunction');
      if (fn === undefined) return notFound();
      advance(fn);
      return json(res, 200, {
        Configuration: fn.configuration,
        Code: { RepositoryType: 'S3', Location: 'https://example.invalid/code.zip' },
      });
    }
    if (version === '2015-03-31' && sub === 'code' && req.method === 'PUT') {
      record('UpdateFunctionCode');
      if (fn === undefined) return notFound();
      if (busy(fn) || takeConflict()) return conflict(res, fn);
      const zip = Buffer.from(String(input.ZipFile), 'base64');
      Object.assign(fn.configuration, {
        CodeSize: zip.byteLength,
        CodeSha256: createHash('sha256').update(zip).digest('base64'),
        LastUpdateStatus: 'InProgress',
        RevisionId: randomUUID(),
      });
      fn.pollsLeft = polls;
      fn.failure = fake.failNextUpdate;
      fake.failNextUpdate = undefined;
      return json(res, 200, fn.configuration);
    }
    if (version === '2015-03-31' && sub === 'configuration' && req.method === 'PUT') {
      record('UpdateFunctionConfiguration');
      if (fn === undefined) return notFound();
      if (busy(fn) || takeConflict()) return conflict(res, fn);
      for (const key of ['Role', 'Handler', 'Runtime', 'Timeout', 'MemorySize', 'Environment', 'Description']) {
        if (input[key] !== undefined) fn.configuration[key] = input[key];
      }
      Object.assign(fn.configuration, { LastUpdateStatus: 'InProgress', RevisionId: randomUUID() });
      fn.pollsLeft = polls;
      return json(res, 200, fn.configuration);
    }
    if (version === '2015-03-31' && sub === 'policy' && req.method === 'POST') {
      record('AddPermission');
      if (fn === undefined) return notFound();
      const sid = String(input.StatementId);
      if (fn.statements.has(sid)) return lambdaError(res, 409, 'ResourceConflictException', `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
      fn.statements.set(sid, input);
      return json(res, 201, { Statement: JSON.stringify({ Sid: sid, Effect: 'Allow', Action: input.Action, Resource: arnOf(name!) }) });
    }
    if (version === '2021-10-31' && sub === 'url') {
      const operation = req.method === 'GET' ? 'GetFunctionUrlConfig' : req.method === 'POST' ? 'CreateFunctionUrlConfig' : 'UpdateFunctionUrlConfig';
      record(operation);
      if (fn === undefined) return notFound();
      if (req.method === 'GET') {
        if (fn.url === undefined) return lambdaError(res, 404, 'ResourceNotFoundException', 'The resource you requested does not exist.');
        return json(res, 200, { ...fn.url, FunctionArn: arnOf(name!) });
      }
      if (req.method === 'POST' && fn.url !== undefined) return lambdaError(res, 409, 'ResourceConflictException', `Failed to create function url config for [functionArn = ${arnOf(name!)}]. Error message:  FunctionUrlConfig exists for this Lambda function`);
      fn.url = { FunctionUrl: fn.url?.FunctionUrl ?? `https://${randomUUID().replace(/-/g, '')}.lambda-url.${REGION}.on.aws/`, AuthType: String(input.AuthType), InvokeMode: String(input.InvokeMode ?? 'BUFFERED') };
      return json(res, req.method === 'POST' ? 201 : 200, { ...fn.url, FunctionArn: arnOf(name!), CreationTime: new Date().toISOString() });
    }
    lambdaError(res, 404, 'UnknownOperationException', `${req.method} ${path}`);
  };

  const iam = (res: ServerResponse, body: string): void => {
    const form = new URLSearchParams(body);
    const action = form.get('Action') ?? '';
    calls.push(`IAM:${action}`);
    const roleName = form.get('RoleName') ?? '';
    const envelope = (inner: string): string =>
      `<${action}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/">${inner}<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
    const roleXml = (role: { arn: string }): string =>
      `<Role><Path>/</Path><RoleName>${roleName}</RoleName><RoleId>AROA${randomUUID().slice(0, 16).toUpperCase()}</RoleId><Arn>${role.arn}</Arn><CreateDate>2026-12-05T00:00:00Z</CreateDate></Role>`;
    const error = (status: number, code: string, message: string): void =>
      iamXml(res, status, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
    const role = roles.get(roleName);
    if (action === 'GetRole') {
      if (role === undefined) return error(404, 'NoSuchEntity', `The role with name ${roleName} cannot be found.`);
      return iamXml(res, 200, envelope(`<GetRoleResult>${roleXml(role)}</GetRoleResult>`));
    }
    if (action === 'CreateRole') {
      if (role !== undefined) return error(409, 'EntityAlreadyExists', `Role with name ${roleName} already exists.`);
      const created = { arn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`, policies: [] };
      roles.set(roleName, created);
      unassumable.set(created.arn, options.roleNotAssumableFor ?? 1);
      return iamXml(res, 200, envelope(`<CreateRoleResult>${roleXml(created)}</CreateRoleResult>`));
    }
    if (action === 'AttachRolePolicy') {
      if (role === undefined) return error(404, 'NoSuchEntity', `The role with name ${roleName} cannot be found.`);
      role.policies.push(form.get('PolicyArn') ?? '');
      return iamXml(res, 200, envelope(''));
    }
    error(400, 'InvalidAction', `Could not find operation ${action}`);
  };

  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      // SigV4 is required (the SDK signs even a local endpoint); it is not verified.
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) {
        res.writeHead(403, { 'x-amzn-errortype': 'MissingAuthenticationTokenException' }).end('{}');
        return;
      }
      if (req.method === 'POST' && (req.url === '/' || req.url === '')) iam(res, body);
      else lambda(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    calls,
    functions,
    roles,
    seedFunction: (name: string, description = ''): void => {
      const configuration = { FunctionName: name, FunctionArn: arnOf(name), Runtime: 'python3.13', Description: description, State: 'Active', LastUpdateStatus: 'Successful', Version: '$LATEST' };
      functions.set(name, { configuration, pollsLeft: 0, statements: new Map() });
    },
    seedRole: (name: string, assumable: boolean): string => {
      const arn = `arn:aws:iam::${ACCOUNT}:role/${name}`;
      roles.set(name, { arn, policies: [] });
      if (!assumable) unassumable.set(arn, Number.POSITIVE_INFINITY);
      return arn;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
