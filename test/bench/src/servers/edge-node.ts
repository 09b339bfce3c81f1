import { defineEdge, memoryCacheStore } from '@gatehouse/edge';
import { serve } from '@gatehouse/node';
import { folderAssets } from '@gatehouse/edge-node/assets';
import { compress } from '@gatehouse/edge-node/compress';
import { http1Transport, undiciTransport } from '@gatehouse/edge-node/transport';

// The Node-hosted edge, the Django layout: /static/ from a folder, the rest to the origin.
// Arguments: port, origin URL, the folder that holds static/, the
// transport to the origin: http1 (the default) or undici, and `gzip` to
// compress answers as nginx's `gzip on` does (gzip only, level 1: nginx's
// gzip_comp_level).
const [port, origin, dir, transport, gzip] = process.argv.slice(2);
const edge = defineEdge({
  pools: { app: { servers: [origin!] } },
  transport: transport === 'undici' ? undiciTransport() : http1Transport(),
  assets: folderAssets(dir!),
  routes: {
    '^~ /static/': { static: true },
    // The same proxy streaming both ways (nginx: proxy_buffering off, proxy_request_buffering off);
    // '/' buffers, the default of both.
    '/streamed/': { proxy: { pool: 'app', buffering: false } },
    // The same proxy with a cache in memory (nginx: proxy_cache on a keys_zone).
    '/cached/': { proxy: { pool: 'app', cache: { store: memoryCacheStore() } } },
    '/': { proxy: 'app' },
  },
});
await serve(gzip === 'gzip' ? compress(edge, { encodings: ['gzip'], level: { gzip: 1 }, minLength: 20 }) : edge, { port: Number(port), hostname: '127.0.0.1' });
console.log('ready');
