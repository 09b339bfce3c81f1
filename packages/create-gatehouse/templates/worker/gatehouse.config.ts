// The Worker of wrangler.toml, as `gatehouse dev` runs it in workerd.
import { defineConfig } from '@gatehouse/cli';

export default defineConfig({
  edge: { wrangler: './wrangler.toml', port: Number(process.env.PORT ?? 8787) },
});
