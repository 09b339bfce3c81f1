/**
 * The content coding to send, given the request's `Accept-Encoding` and the
 * codings available (in the server's order of preference): one of
 * `available`, or `undefined` for the identity (no coding).
 *
 * RFC 9110 §12.5.3: `*` stands for every coding not named, the identity
 * included; the identity is acceptable unless `identity;q=0`, or `*;q=0`
 * without `identity`, says otherwise, and when it is not named (by itself
 * or by `*`) any coding the client weighs above 0 is preferred to it;
 * `x-gzip` is `gzip`. A higher q wins; at equal q a coding wins over the
 * identity, and an earlier one in `available` over a later one. No header means the identity only, as
 * every server does in practice. When nothing is acceptable, the identity
 * is sent anyway (a 406 would help nobody).
 */
export function negotiateEncoding<C extends string>(header: string | null, available: readonly C[]): C | undefined {
  if (header === null || available.length === 0) return undefined;
  const weights = parse(header);
  if (weights === undefined) return undefined;
  const star = weights.get('*');
  let best: C | undefined;
  let bestQ = 0;
  for (const coding of available) {
    const q = weights.get(coding) ?? star ?? 0;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  if (best === undefined) return undefined;
  // The identity, when neither listed nor covered by `*`, is acceptable
  // but wanted least: any coding with a weight beats it.
  const identity = weights.get('identity') ?? star ?? 0;
  return bestQ >= identity ? best : undefined;
}

/** Coding → q. Entries with a malformed q are left out. */
function parse(header: string): Map<string, number> | undefined {
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const semicolon = part.indexOf(';');
    let name = (semicolon === -1 ? part : part.slice(0, semicolon)).trim().toLowerCase();
    if (name === '') continue;
    if (name === 'x-gzip') name = 'gzip';
    let q = 1;
    if (semicolon !== -1) {
      const parsed = qValue(part.slice(semicolon + 1));
      if (parsed === undefined) continue;
      q = parsed;
    }
    // A coding listed twice keeps its first weight.
    if (!weights.has(name)) weights.set(name, q);
  }
  return weights;
}

const Q = /^\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*$/i;

function qValue(parameters: string): number | undefined {
  // Only q is defined for Accept-Encoding; other parameters are ignored.
  for (const parameter of parameters.split(';')) {
    if (!/^\s*q\s*=/i.test(parameter)) continue;
    const match = Q.exec(parameter);
    return match === null ? undefined : Number(match[1]);
  }
  return 1;
}
