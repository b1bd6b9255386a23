import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start their own brokers and fleets; two cores do not like a crowd.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
