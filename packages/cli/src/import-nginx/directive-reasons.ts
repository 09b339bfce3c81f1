import type { Directive } from './nginx-config.ts';
import { isCacheStatus } from './proxy-cache.ts';

/** Why a directive has no place in the edge config, and whether that loses anything. */
export interface Reason {
  /** `false`: the edge does this by itself, or it is nginx's own business; nothing is lost. */
  readonly lost: boolean;
  readonly why: string;
}

const NGINX_ITSELF: Reason = { lost: false, why: "nginx's own process settings; the edge runs as a Worker or under `gatehouse start`" };
const CONNECTIONS: Reason = { lost: false, why: "nginx's own connection handling; the runtime does this for the edge" };
const TLS: Reason = { lost: false, why: 'TLS ends in front of the edge (Cloudflare on Workers, a load balancer on Node)' };
const COMPRESSION: Reason = { lost: true, why: 'Cloudflare compresses in front of a Worker; on Node the edge does not compress yet' };
const RESPONSE_BUFFERS: Reason = {
  lost: false,
  why: "the edge reads a response ahead into one bound, `buffering.response` (64 KiB by default), not into nginx's buffers; raise it on the route for more",
};
const HEAD_BUFFERS: Reason = { lost: false, why: 'the server reads request heads into its own buffers; the rules\' maxHeaderSize bounds a head (431)' };
/** Translated on each proxied route it applies to: left here, it applies to none. */
const NOT_PROXIED: Reason = { lost: false, why: 'no translated proxy_pass is under it' };
/** Translated on each cached route it applies to: left here, it applies to none. */
const NOT_CACHED: Reason = { lost: false, why: 'no translated proxy_pass caches under it (proxy_cache)' };
const OTHER_PROTOCOL: Reason = {
  lost: true,
  why: 'the edge proxies HTTP only: run the app on an HTTP server (gunicorn, uvicorn) and use proxy_pass',
};

const HERE_ONLY: Reason = { lost: true, why: 'the edge keeps it for the edge, a site or a route: in http, server and location blocks, not here' };

const KNOWN: Readonly<Record<string, Reason>> = {
  user: NGINX_ITSELF,
  worker_processes: NGINX_ITSELF,
  worker_rlimit_nofile: NGINX_ITSELF,
  worker_cpu_affinity: NGINX_ITSELF,
  pid: NGINX_ITSELF,
  daemon: NGINX_ITSELF,
  master_process: NGINX_ITSELF,
  load_module: NGINX_ITSELF,
  env: NGINX_ITSELF,
  error_log: { lost: false, why: 'the edge reports upstream errors on its own output (console.warn)' },
  events: CONNECTIONS,
  sendfile: CONNECTIONS,
  tcp_nopush: CONNECTIONS,
  tcp_nodelay: CONNECTIONS,
  reset_timedout_connection: CONNECTIONS,
  keepalive_timeout: { lost: false, why: 'keep-alive is the server\'s: `gatehouse start --keep-alive <s>` on Node, Cloudflare\'s on Workers' },
  keepalive_requests: CONNECTIONS,
  send_timeout: CONNECTIONS,
  server_tokens: { lost: false, why: 'the edge never names its version' },
  types: { lost: false, why: 'the edge has its own table of MIME types (a static route\'s `types` adds more)' },
  default_type: { lost: false, why: 'the edge has its own table of MIME types (a static route\'s `types` adds more)' },
  types_hash_max_size: CONNECTIONS,
  types_hash_bucket_size: CONNECTIONS,
  server_names_hash_bucket_size: CONNECTIONS,
  server_names_hash_max_size: CONNECTIONS,
  variables_hash_max_size: CONNECTIONS,
  charset: { lost: false, why: 'the edge sends charset=utf-8 with text files itself' },
  client_body_buffer_size: NOT_PROXIED,
  client_header_buffer_size: HEAD_BUFFERS,
  large_client_header_buffers: HEAD_BUFFERS,
  client_body_temp_path: {
    lost: false,
    why: "on Node the edge puts a request body past memory in a temp file of the OS's temp folder (defineEdge's bodySpill: fileSpill({ dir }) for another)",
  },
  proxy_temp_path: { lost: false, why: 'the edge reads responses ahead in memory only; it writes no temp files for them' },
  proxy_max_temp_file_size: {
    lost: false,
    why: 'the edge reads a response ahead in memory only, `buffering.response` (64 KiB by default), never into a temp file',
  },
  proxy_buffer_size: RESPONSE_BUFFERS,
  proxy_buffers: RESPONSE_BUFFERS,
  proxy_busy_buffers_size: RESPONSE_BUFFERS,
  proxy_http_version: { lost: false, why: 'the edge speaks HTTP/1.1 to servers and keeps their connections open itself' },
  proxy_buffering: NOT_PROXIED,
  proxy_request_buffering: NOT_PROXIED,
  proxy_send_timeout: { lost: true, why: 'the edge times the connect and the wait for the response head, not each write' },
  proxy_intercept_errors: { lost: true, why: 'the edge passes the server\'s error answers through; it has no error pages' },
  ssl_certificate: TLS,
  ssl_certificate_key: TLS,
  ssl_protocols: TLS,
  ssl_ciphers: TLS,
  ssl_prefer_server_ciphers: TLS,
  ssl_session_cache: TLS,
  ssl_session_timeout: TLS,
  ssl_session_tickets: TLS,
  ssl_dhparam: TLS,
  ssl_stapling: TLS,
  ssl_stapling_verify: TLS,
  ssl_trusted_certificate: TLS,
  ssl_ecdh_curve: TLS,
  http2: TLS,
  gzip: COMPRESSION,
  gzip_vary: COMPRESSION,
  gzip_proxied: COMPRESSION,
  gzip_comp_level: COMPRESSION,
  gzip_min_length: COMPRESSION,
  gzip_types: COMPRESSION,
  gzip_http_version: COMPRESSION,
  gzip_disable: COMPRESSION,
  gzip_buffers: COMPRESSION,
  gzip_static: { lost: false, why: 'the edge serves .gz and .br files beside the original by itself' },
  access_log: { lost: true, why: 'the edge writes one access log, for the whole edge: set at the http level' },
  log_format: { lost: true, why: 'the edge writes nginx\'s combined format or JSON, not formats of your own' },
  client_max_body_size: HERE_ONLY,
  allow: HERE_ONLY,
  deny: HERE_ONLY,
  auth_basic: { lost: true, why: 'the edge has no basic auth yet' },
  auth_basic_user_file: { lost: true, why: 'the edge has no basic auth yet' },
  limit_req: { lost: true, why: 'the edge has no rate limits yet' },
  limit_req_zone: { lost: true, why: 'the edge has no rate limits yet' },
  limit_conn: { lost: true, why: 'the edge has no connection limits yet' },
  limit_conn_zone: { lost: true, why: 'the edge has no connection limits yet' },
  limit_except: { lost: true, why: 'the edge has no per-method rules yet' },
  add_header: HERE_ONLY,
  expires: { lost: true, why: 'the edge sets Cache-Control only on the files it serves' },
  error_page: { lost: true, why: 'the edge answers errors with its own pages; it has no error_page yet' },
  proxy_cache: NOT_CACHED,
  proxy_cache_path: { lost: false, why: 'no translated proxy_cache names its zone' },
  proxy_cache_valid: NOT_CACHED,
  proxy_cache_key: NOT_CACHED,
  proxy_cache_use_stale: NOT_CACHED,
  proxy_cache_lock: NOT_CACHED,
  proxy_cache_lock_timeout: NOT_CACHED,
  proxy_cache_bypass: NOT_CACHED,
  proxy_no_cache: NOT_CACHED,
  proxy_cache_lock_age: {
    lost: false,
    why: "the edge's lockTimeout bounds the wait for another request's fetch; past it each waiting request asks the origin itself",
  },
  proxy_cache_revalidate: {
    lost: false,
    why: 'the edge always revalidates a stale answer that has an ETag or Last-Modified with If-None-Match / If-Modified-Since (as with on)',
  },
  proxy_cache_background_update: {
    lost: false,
    why: 'the edge always refreshes in the background while it answers stale (staleWhileRevalidate), as with on',
  },
  set_real_ip_from: { lost: true, why: 'the edge takes the client address from its own server, not from trusted proxies yet' },
  real_ip_header: { lost: true, why: 'the edge takes the client address from its own server, not from trusted proxies yet' },
  if: { lost: true, why: 'an `if` block has no counterpart: write the condition in a `fetch` route' },
  set: { lost: true, why: 'the edge has no variables: write it in a `fetch` route' },
  map: { lost: true, why: 'the edge has no variables: write it in a `fetch` route' },
  geo: { lost: true, why: 'the edge has no variables: write it in a `fetch` route' },
  split_clients: { lost: true, why: 'the edge has no variables: write it in a `fetch` route' },
  autoindex: { lost: true, why: 'the edge does not list folders' },
  internal: { lost: true, why: 'the edge has no internal-only locations' },
  resolver: { lost: false, why: 'the runtime resolves names for the edge' },
  fastcgi_pass: OTHER_PROTOCOL,
  uwsgi_pass: OTHER_PROTOCOL,
  scgi_pass: OTHER_PROTOCOL,
  grpc_pass: OTHER_PROTOCOL,
  memcached_pass: OTHER_PROTOCOL,
};

/** Why `directive` was left out, when nothing more particular was said about it. */
export function reasonFor(directive: Directive): Reason {
  const particular = reasonByValue(directive);
  if (particular !== undefined) return particular;
  const known = Object.hasOwn(KNOWN, directive.name) ? KNOWN[directive.name] : undefined;
  if (known !== undefined) return known;
  if (/^(fastcgi|uwsgi|scgi|grpc)_/.test(directive.name)) return OTHER_PROTOCOL;
  if (directive.name.startsWith('ssl_')) return TLS;
  if (directive.name.startsWith('gzip_') || directive.name.startsWith('brotli')) return COMPRESSION;
  return { lost: true, why: 'no counterpart in the edge' };
}

/** Directives whose loss depends on what they say. */
function reasonByValue(directive: Directive): Reason | undefined {
  const [first = ''] = directive.args;
  switch (directive.name) {
    case 'add_header':
      return isCacheStatus(directive.args[1])
        ? { lost: false, why: 'no translated proxy_pass caches under it: $upstream_cache_status is empty there, and nginx adds no empty field' }
        : undefined;
    case 'proxy_cache_methods':
      return directive.args.some((method) => method.toUpperCase() !== 'GET' && method.toUpperCase() !== 'HEAD')
        ? { lost: true, why: 'the edge caches GET and HEAD only; other methods go through, and drop what was kept of their URL' }
        : { lost: false, why: 'GET and HEAD, which nginx always adds, are what the edge caches' };
    case 'proxy_cache_min_uses':
      return first === '1'
        ? { lost: false, why: 'the edge keeps an answer the first time it is fetched, as with 1' }
        : { lost: true, why: 'the edge keeps an answer the first time it is fetched, not after a number of requests' };
    case 'proxy_cache_convert_head':
      return first === 'off'
        ? { lost: true, why: 'the edge asks the origin with GET for a HEAD it may cache (nginx\'s on); off has no counterpart' }
        : { lost: false, why: 'the edge asks the origin with GET for a HEAD it may cache, as with on' };
    case 'proxy_ignore_headers':
      return directive.args.every((field) => /^X-Accel-/i.test(field))
        ? { lost: false, why: 'the edge does not act on X-Accel-* fields' }
        : { lost: true, why: 'the edge always obeys the origin\'s Cache-Control, Expires, Vary and Set-Cookie' };
    default:
      return undefined;
  }
}
