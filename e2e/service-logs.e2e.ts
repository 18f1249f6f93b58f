import { requireService } from '@wharf/testing';
import { startRegistryProcess, TestRegistry } from './support/test-registry';

/**
 * What an operator reads: every service writes JSON lines with one field set (time, level,
 * service, msg; requests add requestId, method, route, status, duration, user), and
 * WHARF_LOG_LEVEL decides which lines are written.
 */
const databaseUrl = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');

const jsonLines = (output: string) =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

(databaseUrl ? describe : describe.skip)('service logs', () => {
  let chatty: TestRegistry;
  let quiet: TestRegistry;
  beforeAll(async () => {
    [chatty, quiet] = await Promise.all([
      startRegistryProcess(databaseUrl as string, { env: { WHARF_LOG_LEVEL: 'debug' } }),
      startRegistryProcess(databaseUrl as string, { env: { WHARF_LOG_LEVEL: 'warn' } }),
    ]);
  }, 120_000);
  afterAll(() => Promise.all([chatty?.close(), quiet?.close()]));

  it('every line of the registry is JSON with the common fields; a request line names its request id, route, status and duration', async () => {
    for (const r of [chatty, quiet]) {
      await (await fetch(`${r.url}/v2/`, { headers: { 'x-request-id': 'log-check-1' } })).arrayBuffer();
      await (await fetch(`${r.url}/v2/logs/app/blobs/uploads/`, { method: 'POST', headers: { 'x-request-id': 'log-check-2' } })).arrayBuffer();
    }
    await new Promise((r) => setTimeout(r, 200));
    const text = chatty.output?.() ?? '';
    const nonJson = text.split('\n').filter((l) => l.trim() && !l.startsWith('{'));
    expect(nonJson).toEqual([]);
    const lines = jsonLines(text);
    for (const l of lines) expect([typeof l['time'], typeof l['level'], l['service'], typeof l['msg']]).toEqual(['string', 'string', 'registry', 'string']);
    const pull = lines.find((l) => l['requestId'] === 'log-check-1');
    expect(pull).toMatchObject({ level: 'debug', msg: 'request', method: 'GET', route: 'v2:ping', status: 200, user: null });
    expect(typeof pull?.['duration']).toBe('number');
    expect(lines.find((l) => l['requestId'] === 'log-check-2')).toMatchObject({ level: 'info', method: 'POST', status: 202 });
  });

  it('WHARF_LOG_LEVEL=warn writes no info or debug lines', () => {
    const levels = new Set(jsonLines(quiet.output?.() ?? '').map((l) => l['level']));
    expect([...levels].filter((l) => l !== 'warn' && l !== 'error')).toEqual([]);
    expect(quiet.output?.()).not.toContain('log-check');
  });
});
