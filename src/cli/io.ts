/** What a CLI command may touch, passed in so commands can be tested without a process. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  readStdin(): string;
  now(): Date;
}

/** A problem with how the command was called or what it was given: one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
