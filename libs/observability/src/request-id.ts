import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const USABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Every request has an id: the client's (or the ingress's) `X-Request-Id` when it is a sane token,
 * else a new UUID. It is put back on the request (so every log line about it can name it) and
 * sent in the response, so a user's report and the logs can be matched.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && USABLE.test(given) ? given : randomUUID();
  req.headers['x-request-id'] = id;
  res.setHeader('x-request-id', id);
  return id;
}

/** Express-style middleware for the Nest apps that listen on their own (auth, org). */
export function requestIdMiddleware(): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  return (req, res, next) => {
    assignRequestId(req, res);
    next();
  };
}
