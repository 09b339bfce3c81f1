// The Worker the demo's wrangler.toml deploys: its edge on Cloudflare.
import { worker } from '@gatehouse/cloudflare';
import { edge } from './edge.ts';

export default worker(edge);
