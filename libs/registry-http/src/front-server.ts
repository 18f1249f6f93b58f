import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { RegistryHttpHandler } from './registry-http.handler';
import { YoungGcPacer } from './young-gc-pacer';

/**
 * One HTTP server routed the way the chart's ingress routes: `/v2` straight to the registry
 * handler (no framework middleware on the data plane's hot path), everything else to Nest.
 */
export function createFrontServer(app: INestApplication, registry: RegistryHttpHandler, pacer = new YoungGcPacer()): Server {
  const nest = app.getHttpAdapter().getInstance() as (req: IncomingMessage, res: ServerResponse) => void;
  // Uploads of many GiB take long: no overall request timeout, only one for the headers.
  // Body chunks are counted for the young-GC pacer (large uploads otherwise trigger full GCs).
  const options = { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 };
  return createServer({ ...options, IncomingMessage: pacer.incomingMessageClass() }, (req, res) => {
    const url = req.url ?? '/';
    if (url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?')) {
      void registry.handle(req, res);
    } else {
      nest(req, res);
    }
  });
}

/**
 * Initialises the Nest app (after `beforeInit`, e.g. mounting the OpenAPI document), listens, and
 * returns a function that closes both. `pacer` defaults to one driven by node's exposed `gc`.
 */
export async function listenFront(
  app: INestApplication,
  host: string,
  port: number,
  beforeInit?: (app: INestApplication) => void,
  pacer?: YoungGcPacer,
): Promise<{ server: Server; close: () => Promise<void> }> {
  beforeInit?.(app);
  await app.init();
  const server = createFrontServer(app, app.get(RegistryHttpHandler), pacer);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return {
    server,
    close: async () => {
      server.close();
      server.closeAllConnections();
      await app.close();
    },
  };
}
