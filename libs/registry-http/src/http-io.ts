import type { IncomingMessage, ServerResponse } from 'node:http';
import { OciError, serialiseError } from '@wharf/oci-errors';

/** Small request/response helpers shared by the registry handlers. */

export const API_VERSION_HEADER = { 'docker-distribution-api-version': 'registry/2.0' } as const;

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Declared Content-Length, null when absent; a malformed value is a client error. */
export function contentLength(req: IncomingMessage): number | null {
  const raw = header(req, 'content-length');
  if (raw === undefined) return null;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new OciError('SIZE_INVALID', `Content-Length "${raw.slice(0, 40)}" is not a number`);
  return n;
}

/** Whether a request carries a body (Content-Length > 0 or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const len = header(req, 'content-length');
  return (len !== undefined && len !== '0') || header(req, 'transfer-encoding') !== undefined;
}

/**
 * Reads a small body fully, failing as soon as it passes `max` bytes. On failure the rest of the
 * body is left unread and the stream paused (not destroyed: the socket must stay to answer), so
 * `discardBody` can drain it before the error goes out.
 */
export function readBody(req: IncomingMessage, max: number, tooLarge: () => OciError): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== null && declared > max) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err: Error | null) => {
      req.off('data', onData).off('end', onEnd).off('error', finish).off('close', onClose);
      if (err) {
        req.pause();
        reject(err);
      } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) finish(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => finish(null);
    const onClose = () => finish(new Error('the client closed the connection before the body was complete'));
    req.on('data', onData).once('end', onEnd).once('error', finish).once('close', onClose);
  });
}

/**
 * Reads and drops what is left of a request body, for at most `maxBytes` or `maxMs`; true when
 * it all arrived. An error answered while the client is still sending is otherwise lost: closing
 * a socket with unread bytes sends a reset, and the client drops the answer it had not read yet.
 */
export function discardBody(req: IncomingMessage, maxBytes = 16 * 1024 * 1024, maxMs = 2000): Promise<boolean> {
  if (req.complete || req.destroyed) return Promise.resolve(req.complete);
  return new Promise((resolve) => {
    let seen = 0;
    const done = (all: boolean) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
      if (!all) req.pause();
      resolve(all);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) done(false);
    };
    const onEnd = () => done(true);
    const onClose = () => done(req.complete);
    const timer = setTimeout(() => done(false), maxMs);
    req.on('data', onData).once('end', onEnd).once('close', onClose).once('error', onClose);
    req.resume();
  });
}

export function send(res: ServerResponse, status: number, headers: Record<string, string | number>, body?: Buffer | string): void {
  const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...API_VERSION_HEADER, 'content-length': payload ? payload.length : 0, ...headers });
  res.end(payload);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, { 'content-type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(value));
}

/**
 * Writes an error in the OCI envelope. When the request body was not consumed the connection is
 * closed after the answer, so unread upload bytes are never parsed as the next request.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const e = serialiseError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { ...e.headers };
  if (!req.complete && hasBody(req)) headers['connection'] = 'close';
  send(res, e.status, headers, req.method === 'HEAD' ? undefined : e.body);
  // The socket may already be gone (detached once the response finished, or the client left).
  if (headers['connection'] === 'close') res.once('finish', () => req.socket?.destroySoon?.());
}
