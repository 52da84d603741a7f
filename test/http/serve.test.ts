/**
 * `tessera serve` as an operator runs it: the built command in its own process, on a free port,
 * with a fresh data directory. It answers /healthz and /readyz, logs JSON lines, stops gracefully
 * on SIGTERM and SIGINT (exit 0, port released), and refuses a bad configuration with one line and
 * exit code 2.
 *
 * It runs the compiled code in dist/ (`npm test` builds before running the tests).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/tessera.mjs');

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

interface Running {
  readonly child: ChildProcess;
  readonly port: number;
  stdout: string;
  stderr: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(env: Readonly<Record<string, string>>, port: number): Running {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      TESSERA_PORT: String(port),
      // Empty means unset: nothing from the test runner's environment leaks in.
      TESSERA_ORIGINS: '',
      TESSERA_RP_ID: '',
      TESSERA_DATABASE_URL: '',
      TESSERA_METADATA_DIR: '',
      TESSERA_CONFORMANCE: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running: Running = {
    child,
    port,
    stdout: '',
    stderr: '',
    exited: new Promise((done) => child.once('exit', (code, signal) => done({ code, signal }))),
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    running.stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    running.stderr += chunk.toString('utf8');
  });
  return running;
}

async function until(check: () => boolean, what: string, running: Running, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline || running.child.exitCode !== null)
      throw new Error(`${what} did not happen; stdout: ${running.stdout}\nstderr: ${running.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function listening(running: Running): Promise<void> {
  await until(
    () => running.stdout.includes(`Tessera listening on http://localhost:${running.port}\n`),
    'listening',
    running,
  );
}

describe('tessera serve', () => {
  let dataDir: string;
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/cli/serve.js')))
      throw new Error('dist/ is not built: run `npm run build` (npm test does) before this test');
    dataDir = await mkdtemp(join(tmpdir(), 'tessera-serve-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves, then shuts down gracefully on SIGTERM with exit code 0', async () => {
    const port = await freePort();
    const running = start({ TESSERA_DATA_DIR: dataDir }, port);
    try {
      await listening(running);
      const base = `http://127.0.0.1:${port}`;
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
      const refused = await fetch(`${base}/api/session`);
      expect(refused.status).toBe(401);
      // The embedded database was created and migrated in the data directory.
      expect(existsSync(join(dataDir, 'tessera.db'))).toBe(true);

      running.child.kill('SIGTERM');
      const { code } = await running.exited;
      expect(code).toBe(0);
      expect(running.stderr).toBe('');
      // Every other stdout line is a JSON log line; the shutdown is logged.
      const lines = running.stdout
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('Tessera listening on'));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
      expect(running.stdout).toContain('shutting down');
      // The port is released.
      await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    } finally {
      running.child.kill('SIGKILL');
    }
  });

  it('shuts down on SIGINT too, and starts again on the same data directory', async () => {
    const port = await freePort();
    const running = start({ TESSERA_DATA_DIR: dataDir }, port);
    try {
      await listening(running);
      running.child.kill('SIGINT');
      expect((await running.exited).code).toBe(0);
    } finally {
      running.child.kill('SIGKILL');
    }
  });

  it('refuses a bad configuration with one line on stderr and exit code 2', async () => {
    const running = start({ TESSERA_DATA_DIR: dataDir, TESSERA_RP_ID: 'Example.COM' }, await freePort());
    const { code } = await running.exited;
    expect(code).toBe(2);
    const lines = running.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('TESSERA_RP_ID');
    expect(running.stdout).toBe('');
  });

  it('exits 1 with one line when the port is taken', async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(port, '0.0.0.0', done));
    try {
      const running = start({ TESSERA_DATA_DIR: dataDir }, port);
      const { code } = await running.exited;
      expect(code).toBe(1);
      expect(running.stderr).toContain(`cannot listen on port ${port}`);
    } finally {
      await new Promise((done) => blocker.close(done));
    }
  });
});
