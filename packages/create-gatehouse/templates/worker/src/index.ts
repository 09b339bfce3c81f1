// The Worker: the App of app.ts (its fetch, and scheduled() if it has one).
import { worker } from '@gatehouse/cloudflare';
import { app } from './app.ts';

export default worker(app);
