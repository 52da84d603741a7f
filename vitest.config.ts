import { defineConfig } from 'vitest/config';
import NoSkipsReporter from './test/support/no-skips-reporter.js';

const ci = process.env.CI === 'true';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    // `.only` fails the run instead of silently narrowing it.
    allowOnly: false,
    reporters: ci ? ['default', new NoSkipsReporter()] : ['default'],
  },
});
