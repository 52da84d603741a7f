#!/usr/bin/env node
// Entry point for the `tessera` command: runs the compiled CLI (built by `npm ci` / `npm run build`).
import { main, processIo } from '../dist/cli/main.js';

main(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(
      `tessera: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
