import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start their own brokers and fleets; two cores do not like a crowd.
    maxWorkers: 2,
    reporters: ['default'],
    // One temp directory for the whole run, which must be empty of troupe-* entries at the end.
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/scratch-cleanup.ts'],
  },
});
