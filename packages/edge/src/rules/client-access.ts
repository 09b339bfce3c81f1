import ipaddr from 'ipaddr.js';

/** One nginx-style access rule: `allow` or `deny`, then `all`, an address or a CIDR range. */
export type AccessRule = `allow ${string}` | `deny ${string}`;

type Range = readonly [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * A matcher for client addresses against CIDR ranges (`10.0.0.0/8`,
 * `2001:db8::/32`) and single addresses, IPv4-mapped IPv6 addresses
 * (`::ffff:10.1.2.3`) taken as the IPv4 address they carry, on both sides.
 * Throws on a range that does not parse. For `trustProxy` of
 * `@gatehouse/node`: `trustProxy: addressMatcher(['10.0.0.0/8'])` believes
 * X-Forwarded-For only from those peers.
 */
export function addressMatcher(ranges: readonly string[]): (address: string) => boolean {
  const parsed = ranges.map(parseRange);
  return (address) => {
    const client = parseAddress(address);
    return client !== undefined && parsed.some((range) => inRange(client, range));
  };
}

/**
 * The decision of a list of {@link AccessRule}s, as nginx's `allow` and
 * `deny` make it: the first rule that matches the client's address decides;
 * when none does, the client is allowed. `all` matches every client, one
 * whose address is unknown too; an address or a range never matches an
 * unknown one.
 */
export function compileAccess(rules: readonly string[]): (address: string | undefined) => boolean {
  const compiled = rules.map((rule) => {
    const match = /^(allow|deny)\s+(\S+)$/.exec(rule.trim());
    if (match === null) throw new Error(`access: "${rule}" is not "allow <range>", "deny <range>", "allow all" or "deny all"`);
    const allow = match[1] === 'allow';
    const range = match[2] === 'all' ? undefined : parseRange(match[2]!);
    return { allow, range };
  });
  return (address) => {
    const client = address === undefined ? undefined : parseAddress(address);
    for (const { allow, range } of compiled) {
      if (range === undefined || (client !== undefined && inRange(client, range))) return allow;
    }
    return true;
  };
}

function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  return ipaddr.isValid(bare) ? ipaddr.process(bare) : undefined;
}

function parseRange(text: string): Range {
  let range: Range;
  try {
    range = text.includes('/') ? ipaddr.parseCIDR(text) : (() => {
      const address = ipaddr.parse(text);
      return [address, address.kind() === 'ipv4' ? 32 : 128] as const;
    })();
  } catch {
    throw new Error(`access: "${text}" is not an IPv4 or IPv6 address or CIDR range`);
  }
  const [address, bits] = range;
  // ::ffff:10.0.0.0/104 is 10.0.0.0/8: clients' mapped addresses are compared as IPv4.
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return range;
}

function inRange(client: ipaddr.IPv4 | ipaddr.IPv6, [address, bits]: Range): boolean {
  return client.kind() === address.kind() && client.match(address, bits);
}
