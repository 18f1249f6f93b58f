import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { createLogger } from './logger';
import { Metrics } from './metrics';
import { assignRequestId } from './request-id';
import { noteRequestUser } from './request-user';

describe('Metrics', () => {
  let server: Server;
  let url: string;
  const metrics = new Metrics('spec');
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/metrics') return void metrics.answer(res);
      metrics.track(req, res, () => {
        if (req.url === '/unlabellable') throw new Error('a route that cannot be parsed');
        return req.url?.startsWith('/ok') ? 'ok-route' : 'other';
      });
      req.resume();
      req.on('end', () => {
        const body = Buffer.alloc(req.url === '/ok' ? 1000 : 0);
        res.writeHead(req.url === '/ok' ? 200 : 404, { 'content-length': body.length });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('counts requests by route, method and status, times them and sums body bytes; serves the text format', async () => {
    for (let i = 0; i < 3; i++) await (await fetch(`${url}/ok`)).arrayBuffer();
    await (await fetch(`${url}/ok`, { method: 'POST', body: Buffer.alloc(500) })).arrayBuffer();
    await (await fetch(`${url}/missing`)).arrayBuffer();
    await (await fetch(`${url}/unlabellable`)).arrayBuffer();
    const res = await fetch(`${url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('wharf_http_requests_total{service="spec",route="ok-route",method="GET",status="200"} 3');
    expect(text).toContain('wharf_http_requests_total{service="spec",route="ok-route",method="POST",status="200"} 1');
    expect(text).toContain('wharf_http_requests_total{service="spec",route="other",method="GET",status="404"} 1');
    expect(text).toContain('wharf_http_request_duration_seconds_count{service="spec",route="ok-route",method="GET"} 3');
    expect(text).toContain('wharf_http_request_duration_seconds_bucket{service="spec",route="ok-route",method="GET",le="+Inf"} 3');
    expect(text).toMatch(/wharf_http_request_duration_seconds_bucket\{service="spec",route="ok-route",method="GET",le="120"\} 3/);
    const out = Number(/wharf_http_body_bytes_total\{service="spec",route="ok-route",method="GET",direction="out"\} (\d+)/.exec(text)?.[1]);
    expect(out).toBeGreaterThanOrEqual(3000); // three bodies of 1000 bytes, and their headers
    expect(out).toBeLessThan(3000 + 3 * 400);
    expect(text).toContain('wharf_http_body_bytes_total{service="spec",route="ok-route",method="POST",direction="in"} 500');
    expect(text).toMatch(/process_cpu_user_seconds_total \d/);
    // A labeller that throws counts the request as `invalid` (it must never throw from a listener).
    expect(text).toContain('wharf_http_requests_total{service="spec",route="invalid",method="GET",status="404"} 1');
  });
});

describe('Metrics access log', () => {
  it('writes one JSON line per answer with the request id, route, status, duration and user, at the level WHARF_LOG_LEVEL lets through', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
    for (const level of ['debug', 'info'] as const) {
      lines.length = 0;
      const metrics = new Metrics('spec', createLogger('spec', level, sink));
      const server = createServer((req, res) => {
        assignRequestId(req, res);
        metrics.track(req, res, () => 'route-a');
        noteRequestUser(req, req.method === 'PUT' ? 'alice' : null);
        res.writeHead(req.url === '/fail' ? 500 : 200).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await (await fetch(`${base}/pull`, { headers: { 'x-request-id': 'req-1' } })).arrayBuffer();
      await (await fetch(`${base}/push`, { method: 'PUT' })).arrayBuffer();
      await (await fetch(`${base}/fail`)).arrayBuffer();
      await new Promise<void>((r) => server.close(() => r()));
      const seen = lines.map((l) => [l['level'], l['method'], l['status'], l['user']]);
      const pull = ['debug', 'GET', 200, null];
      expect(seen).toEqual([...(level === 'debug' ? [pull] : []), ['info', 'PUT', 200, 'alice'], ['error', 'GET', 500, null]]);
      const first = lines[0] as Record<string, unknown>;
      expect(Object.keys(first).sort()).toEqual(['duration', 'level', 'method', 'msg', 'requestId', 'route', 'service', 'status', 'time', 'user']);
      if (level === 'debug') expect(first['requestId']).toBe('req-1');
    }
  });
});
