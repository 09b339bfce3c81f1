import type { FieldReader } from '@gatehouse/core';
import type { Balance } from './pool-config.ts';

/**
 * The key a request is hashed by under `balance`, or `undefined` when the
 * method does not hash or the request lacks the key (it then goes
 * round-robin, as in nginx).
 */
export function hashKey(balance: Balance, headers: FieldReader, clientAddress: string | undefined): string | undefined {
  if (typeof balance !== 'object') return undefined;
  switch (balance.hash) {
    case 'client-address':
      return clientAddress === '' ? undefined : clientAddress;
    case 'header':
      return headers.get(balance.name) || undefined;
    case 'cookie': {
      const cookies = headers.get('cookie');
      return cookies === null ? undefined : cookieValue(cookies, balance.name);
    }
  }
}

/**
 * The value of the cookie `name` in a Cookie header (`a=1; b=2`), the
 * first if it is there twice; `undefined` if it is absent or empty.
 */
export function cookieValue(header: string, name: string): string | undefined {
  let from = 0;
  while (from < header.length) {
    let end = header.indexOf(';', from);
    if (end === -1) end = header.length;
    let start = from;
    while (start < end && (header.charCodeAt(start) === 0x20 || header.charCodeAt(start) === 0x09)) start++;
    if (header.startsWith(name, start) && header.charCodeAt(start + name.length) === 0x3d /* = */) {
      let value = header.slice(start + name.length + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value === '' ? undefined : value;
    }
    from = end + 1;
  }
  return undefined;
}
