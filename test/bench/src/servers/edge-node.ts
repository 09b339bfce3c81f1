import { defineEdge } from '@gatehouse/edge';
import { serve } from '@gatehouse/node';
import { folderAssets } from '@gatehouse/edge-node/assets';
import { http1Transport, undiciTransport } from '@gatehouse/edge-node/transport';

// The Node-hosted edge, the Django layout: /static/ from a folder, the rest to the origin.
// Arguments: port, origin URL, the folder that holds static/, and the
// transport to the origin: http1 (the default) or undici.
const [port, origin, dir, transport] = process.argv.slice(2);
const edge = defineEdge({
  pools: { app: { servers: [origin!] } },
  transport: transport === 'undici' ? undiciTransport() : http1Transport(),
  assets: folderAssets(dir!),
  routes: {
    '^~ /static/': { static: true },
    '/': { proxy: 'app' },
  },
});
await serve(edge, { port: Number(port), hostname: '127.0.0.1' });
console.log('ready');
