/**
 * nginx's time and size values, read as nginx reads them
 * (`ngx_parse_time`, `ngx_parse_size`).
 */

const TIME_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  M: 30 * 86_400_000,
  y: 365 * 86_400_000,
};

/**
 * A time (`500ms`, `30s`, `1m30s`, `2h`, `30d`; a bare number is
 * seconds) in milliseconds, or `undefined` when it is not one.
 */
export function nginxTime(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  let total = 0;
  let rest = text;
  while (rest !== '') {
    const part = /^(\d+)(ms|s|m|h|d|w|M|y)/.exec(rest);
    if (part === null) return undefined;
    total += Number(part[1]) * TIME_UNITS[part[2]!]!;
    rest = rest.slice(part[0].length);
  }
  return text === '' ? undefined : total;
}

/** A size (`512`, `8k`, `4G`) in bytes, or `undefined` when it is not one. */
export function nginxSize(text: string): number | undefined {
  const size = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (size === null) return undefined;
  const unit = size[2]!.toLowerCase();
  return Number(size[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
}
