import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// The templates' own tests run in the projects made from them (test/e2e does).
export default mergeConfig(shared, { test: { include: ['src/**/*.test.ts'] } });
