import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Runs a child node process that installs the guard, then escapes an error from a callback. */
function runChild(body: string): { status: number | null; stdout: string; stderr: string } {
  const guard = join(__dirname, 'process-guard.ts');
  const script = `
    const { guardProcess } = require(${JSON.stringify(guard)});
    guardProcess('spec');
    ${body}
    setTimeout(() => { process.stdout.write('still running'); }, 200);
  `;
  const r = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, SWC_NODE_PROJECT: join(__dirname, '../../../tsconfig.base.json') },
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('guardProcess', () => {
  it('logs an unhandled rejection as JSON and keeps the process running', () => {
    const r = runChild(`Promise.reject(new Error('write ECONNRESET'));`);
    expect(r.stdout).toBe('still running');
    expect(r.status).toBe(0);
    const line = JSON.parse(r.stderr.trim().split('\n').pop() as string);
    expect(line).toMatchObject({ level: 'error', service: 'spec', msg: expect.stringContaining('unhandled rejection') });
    expect(line.error).toContain('write ECONNRESET');
  });

  it('logs an uncaught exception thrown from a callback and keeps the process running', () => {
    const r = runChild(`setImmediate(() => { throw new TypeError("Cannot read properties of null (reading 'destroySoon')"); });`);
    expect(r.stdout).toBe('still running');
    expect(r.stderr).toContain('uncaught exception');
    expect(r.stderr).toContain('destroySoon');
  });
});
