// Unit, contract and integration tests: everything named *.test.ts outside tests/e2e.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src-main/**/*.test.ts',
      'src-shared/**/*.test.ts',
      'src-renderer/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    testTimeout: 60_000,
    // No optimized-model cache in the user's folder from tests (optimized-cache.test.ts gives its own).
    env: { DPO_WORKBENCH_SESSION_CACHE: 'off' },
    pool: 'forks',
  },
});
