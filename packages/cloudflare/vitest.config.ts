import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// Every test here runs inside workerd, in the test Worker of test/wrangler.toml.
export default mergeConfig(shared, {
  plugins: [cloudflareTest({ wrangler: { configPath: './test/wrangler.toml' } })],
});
