import { closeGracefully } from '@wharf/util';
import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { INestApplication } from '@nestjs/common';
import { assignRequestId, expressRoute, Metrics } from '@wharf/observability';
import { parseRegistryPath, splitUrl } from '@wharf/registry-routes';
import { RegistryHttpHandler } from './registry-http.handler';
import { connectBroadcasts } from './registry-broadcasts';
import { YoungGcPacer } from './young-gc-pacer';

/** PEM certificate chain and key: the front server then speaks HTTPS. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * One HTTP(S) server routed the way the chart's ingress routes: `/v2` straight to the registry
 * handler (no framework middleware on the data plane's hot path), everything else to Nest.
 */
export function createFrontServer(
  app: INestApplication,
  registry: RegistryHttpHandler,
  pacer = new YoungGcPacer(),
  tls?: TlsFiles,
  metrics?: Metrics,
): Server {
  const nest = app.getHttpAdapter().getInstance() as (req: IncomingMessage, res: ServerResponse) => void;
  // Uploads of many GiB take long: no overall request timeout, only one for the headers.
  // Body chunks are counted for the young-GC pacer (large uploads otherwise trigger full GCs).
  const options = { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000, IncomingMessage: pacer.incomingMessageClass() };
  const route = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (url === '/metrics' && metrics) return void metrics.answer(res);
    assignRequestId(req, res);
    if (url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?')) {
      // Labelled by route kind (manifest, blob, upload, …), parsed only when the answer is done.
      metrics?.track(req, res, () => `v2:${parseRegistryPath(splitUrl(url).path)?.kind ?? 'unknown'}`);
      void registry.handle(req, res);
    } else {
      metrics?.track(req, res, () => expressRoute(req));
      nest(req, res);
    }
  };
  return tls ? createTlsServer({ ...options, cert: tls.cert, key: tls.key }, route) : createServer(options, route);
}

export interface ListenOptions {
  host: string;
  port: number;
  /** Runs before Nest initialises (e.g. mounting the OpenAPI document). */
  beforeInit?: (app: INestApplication) => void;
  /** Defaults to one driven by node's exposed `gc`. */
  pacer?: YoungGcPacer;
  tls?: TlsFiles;
  /** Serves `GET /metrics` and counts every request. */
  metrics?: Metrics;
  /** Listen to the broadcasts other services send over this Redis (cache invalidation). */
  broadcasts?: { redisUrl: string; timeoutMs: number };
}

/**
 * Initialises the Nest app, listens, and returns a function that closes both: it stops accepting,
 * lets requests in flight finish for up to `graceMs` (an upload or a pull under way), then cuts
 * what is left and closes the app.
 */
export async function listenFront(
  app: INestApplication,
  options: ListenOptions,
): Promise<{ server: Server; close: (graceMs?: number) => Promise<void> }> {
  options.beforeInit?.(app);
  if (options.broadcasts) connectBroadcasts(app, options.broadcasts.redisUrl, options.broadcasts.timeoutMs);
  await app.init();
  await app.startAllMicroservices();
  const server = createFrontServer(app, app.get(RegistryHttpHandler), options.pacer, options.tls, options.metrics);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, options.host, resolve));
  return {
    server,
    close: async (graceMs = 0) => {
      await closeGracefully(server, graceMs);
      await app.close();
    },
  };
}

/** The certificate and key WHARF_TLS_CERT and WHARF_TLS_KEY name (WHARF_TLS=files), read once at start. */
export function tlsFiles(config: { tls: string; tlsCert?: string; tlsKey?: string }): TlsFiles | undefined {
  if (config.tls !== 'files' || !config.tlsCert || !config.tlsKey) return undefined;
  return { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) };
}
