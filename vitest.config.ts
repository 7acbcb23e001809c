import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources for pure modules and against dist/ (built by `npm test`
// before vitest starts) wherever a real worker thread or a real broker process is needed.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
