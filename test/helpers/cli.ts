// Runs the real `retain` command as a user would, and collects what it prints.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/retain.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function retain(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      // A pinned clock: time-derived columns (days in stage, priority) are the same on every run.
      env: { ...process.env, RETAIN_NOW: '2026-06-01T12:00:00.000Z', ...env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
