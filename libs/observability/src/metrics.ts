import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * One Prometheus registry per process (`GET /metrics`): Node's process metrics, and for every HTTP
 * request a count and a latency histogram by service, route, method and status, plus the bytes
 * in and out. Routes are labels of bounded cardinality: the `/v2` route kind (manifest,
 * blob, upload, …) or the matched API route pattern (`/api/v1/repositories/:org/:repo`), never a path.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'service' | 'route' | 'method' | 'status'>;
  private readonly duration: Histogram<'service' | 'route' | 'method'>;
  private readonly bytes: Counter<'service' | 'route' | 'direction'>;

  constructor(private readonly service: string) {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'wharf_http_requests_total',
      help: 'HTTP requests answered, by service, route, method and status',
      labelNames: ['service', 'route', 'method', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'wharf_http_request_duration_seconds',
      help: 'Time from the request to the last byte of the answer',
      labelNames: ['service', 'route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers: [this.registry],
    });
    this.bytes = new Counter({
      name: 'wharf_http_body_bytes_total',
      help: 'Request body bytes (in, as declared) and response bytes written (out, headers included), by service and route',
      labelNames: ['service', 'route', 'direction'],
      registers: [this.registry],
    });
  }

  /** Counts the request when its answer is finished (or the client left); `route` is read then. */
  track(req: IncomingMessage, res: ServerResponse, route: () => string): void {
    const started = process.hrtime.bigint();
    // Bytes written to the socket for this answer (headers included): requests on one connection
    // are answered one after another, and writeHead's headers are not visible to getHeader.
    const socket = req.socket;
    const writtenBefore = socket?.bytesWritten ?? 0;
    const done = () => {
      res.off('finish', done).off('close', done);
      const labels = { service: this.service, route: route(), method: req.method ?? 'GET' };
      this.requests.inc({ ...labels, status: String(res.statusCode) });
      this.duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      const bytesIn = Number(req.headers['content-length'] ?? 0);
      const bytesOut = (socket?.bytesWritten ?? 0) - writtenBefore;
      if (bytesIn > 0) this.bytes.inc({ service: this.service, route: labels.route, direction: 'in' }, bytesIn);
      if (bytesOut > 0) this.bytes.inc({ service: this.service, route: labels.route, direction: 'out' }, bytesOut);
    };
    res.once('finish', done).once('close', done);
  }

  /** Answers `GET /metrics` in the Prometheus text format. */
  async answer(res: ServerResponse): Promise<void> {
    const text = await this.registry.metrics();
    res.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store' });
    res.end(text);
  }

  /**
   * Express-style middleware for a Nest app listening on its own (auth, org): serves `/metrics`
   * and tracks every other request by the route Express matched.
   */
  middleware(): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
    return (req, res, next) => {
      if (req.url === '/metrics') return void this.answer(res);
      this.track(req, res, () => expressRoute(req));
      next();
    };
  }
}

/** The route pattern Express matched (`/api/v1/organizations/:org`), or `unmatched`. */
export function expressRoute(req: IncomingMessage): string {
  const r = req as IncomingMessage & { baseUrl?: string; route?: { path?: string } };
  return r.route?.path ? `${r.baseUrl ?? ''}${r.route.path}` : 'unmatched';
}
