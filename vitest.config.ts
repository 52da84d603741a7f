import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    // Under CI a skipped or focused test is a failure: nothing may be quietly left out.
    allowOnly: false,
    reporters: process.env.CI === 'true' ? ['default'] : ['default'],
  },
});
