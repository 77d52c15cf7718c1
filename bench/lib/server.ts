// `retain serve` in a process of its own for the HTTP benchmarks: started on a free port over a
// bench store, and waited for until it answers /api/health.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { BENCH_NOW } from './book';

export interface BenchServer {
  base: string;
  pid: number;
  port: number;
  /** What the server printed so far. */
  log: () => string;
  stop: () => Promise<void>;
  /** Ends the server at once (SIGKILL), as a crash would. */
  kill: () => Promise<void>;
}

export async function startServer(
  target: string,
  options: { args?: string[]; env?: Record<string, string>; port?: number } = {},
): Promise<BenchServer> {
  const port = options.port ?? 20_000 + Math.floor(Math.random() * 20_000);
  const server = spawn(
    process.execPath,
    [
      resolve(import.meta.dirname, '../../bin/retain.js'),
      'serve',
      '--db',
      target,
      '--port',
      String(port),
      '--no-demo',
      ...(options.args ?? []),
    ],
    { env: { ...process.env, RETAIN_NOW: BENCH_NOW, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((done) => server.once('exit', done));
  const end = async (signal: NodeJS.Signals) => {
    if (server.exitCode === null && server.signalCode === null) server.kill(signal);
    await exited;
  };
  const stop = () => end('SIGTERM');
  const base = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries += 1) {
    try {
      if ((await fetch(`${base}/api/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (tries > 300) {
      await stop();
      throw new Error(`the server did not start:\n${output}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return { base, port, pid: server.pid ?? 0, log: () => output, stop, kill: () => end('SIGKILL') };
}
