/**
 * HTTP Basic authentication (RFC 7617) against hashed passwords, with Web
 * Crypto only, so that it runs the same on Workers and on Node.
 *
 * A hash is `pbkdf2-sha256$<iterations>$<salt>$<key>` (salt and key in
 * base64), as {@link hashPassword} makes it: PBKDF2 stands in for bcrypt,
 * which Web Crypto lacks. `{SHA}<base64>` (htpasswd -s, nginx's
 * `auth_basic_user_file`) is read too, for files brought over from nginx.
 */
export interface BasicAuthRules {
  /** Shown by the browser's prompt. */
  readonly realm: string;
  /** Each user's hashed password. */
  readonly users: Readonly<Record<string, string>>;
}

/** Hashes are slow on purpose; a client that sends the same good credentials again is not made to wait each time. */
const REMEMBERED = 256;

const PREFIX = 'pbkdf2-sha256$';
/** The most PBKDF2 iterations workerd accepts. */
const ITERATIONS = 100_000;
const encoder = new TextEncoder();

/**
 * A hash of `password` for {@link BasicAuthRules.users}: PBKDF2-SHA-256 with
 * a random 16-byte salt and, by default, 100,000 iterations: the most
 * Workers accepts (OWASP asks for 600,000 with SHA-256; Node takes more).
 */
export async function hashPassword(password: string, iterations: number = ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await pbkdf2(password, salt, iterations);
  return `${PREFIX}${iterations}$${toBase64(salt)}$${toBase64(key)}`;
}

/** Basic auth compiled once per route: the 401 answer, or undefined to go on. */
export function compileBasicAuth(rules: BasicAuthRules, fail: (message: string) => never): (authorization: string | null) => Promise<Response | undefined> {
  const { realm, users } = rules;
  if (typeof realm !== 'string' || /["\\\r\n]/.test(realm)) fail(`basicAuth.realm is a text without quotes or line breaks, not ${JSON.stringify(realm)}`);
  const known = new Map<string, Verifier>();
  for (const [user, hash] of Object.entries(users ?? {})) {
    if (user.includes(':')) fail(`basicAuth.users: "${user}" has a colon, which no Basic user name can have`);
    known.set(user, verifier(hash, user, fail));
  }
  if (known.size === 0) fail('basicAuth.users names no user');
  const challenge = `Basic realm="${realm}", charset="UTF-8"`;
  const remembered = new Set<string>();
  return async (authorization) => {
    // A new Response each time: on Workers, one made while answering another request cannot be used for this one.
    const refuse = (): Response =>
      new Response('Unauthorized\n', { status: 401, headers: { 'www-authenticate': challenge, 'content-type': 'text/plain; charset=utf-8' } });
    if (authorization === null) return refuse();
    if (remembered.has(authorization)) return undefined;
    const match = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(authorization);
    if (match === null) return refuse();
    let decoded: string;
    try {
      decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(fromBase64(match[1]!));
    } catch {
      return refuse();
    }
    const colon = decoded.indexOf(':');
    if (colon === -1) return refuse();
    const check = known.get(decoded.slice(0, colon));
    // An unknown user costs as much as a known one: no timing tells which names exist.
    const good = await (check ?? DECOY)(decoded.slice(colon + 1));
    if (!good || check === undefined) return refuse();
    if (remembered.size >= REMEMBERED) remembered.delete(remembered.values().next().value!);
    remembered.add(authorization);
    return undefined;
  };
}

type Verifier = (password: string) => Promise<boolean>;

function verifier(hash: string, user: string, fail: (message: string) => never): Verifier {
  if (typeof hash === 'string' && hash.startsWith(PREFIX)) {
    const [iterations, salt, key] = hash.slice(PREFIX.length).split('$');
    const saltBytes = salt === undefined ? undefined : tryBase64(salt);
    const expected = key === undefined ? undefined : tryBase64(key);
    if (iterations !== undefined && /^\d+$/.test(iterations) && saltBytes !== undefined && expected !== undefined) {
      const rounds = Number(iterations);
      return async (password) => constantTimeEqual(await pbkdf2(password, saltBytes, rounds, expected.byteLength), expected);
    }
  }
  const sha1 = typeof hash === 'string' && hash.startsWith('{SHA}') ? tryBase64(hash.slice(5)) : undefined;
  if (sha1 !== undefined) {
    const expected = sha1;
    return async (password) => constantTimeEqual(new Uint8Array(await crypto.subtle.digest('SHA-1', encoder.encode(password))), expected);
  }
  return fail(`basicAuth.users: ${user}'s password is not a hash gatehouse reads (pbkdf2-sha256$… from hashPassword, or {SHA}…)`);
}

const DECOY_SALT = new Uint8Array(16);
const DECOY: Verifier = async (password) => {
  await pbkdf2(password, DECOY_SALT, ITERATIONS);
  return false;
};

async function pbkdf2(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number, length = 32): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, length * 8));
}

/** Whether two byte strings are equal, in a time that depends on their length only. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.byteLength ^ b.byteLength;
  for (let i = 0; i < a.byteLength; i++) difference |= a[i]! ^ (b[i % Math.max(b.byteLength, 1)] ?? 0);
  return difference === 0;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function tryBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return fromBase64(text);
  } catch {
    return undefined;
  }
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
