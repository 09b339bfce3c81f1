// The Worker the root wrangler.toml deploys: the demo's edge on Cloudflare.
import { worker } from '@gatehouse/cloudflare';
import { edge } from './edge.ts';

export default worker(edge);
