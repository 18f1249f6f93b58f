import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditLog } from '@wharf/auth-core';
import { storeErrorAsOci } from '@wharf/database';
import { OciError } from '@wharf/oci-errors';
import { checkRepositoryName, MediaType } from '@wharf/oci-spec';
import { BlobService, ManifestService, rangeHeader, RegistryLimits, UploadService } from '@wharf/registry-core';
import { parseRegistryPath, RegistryRoute, splitUrl } from '@wharf/registry-routes';
import { StorageFullError } from '@wharf/storage-api';
import { AccessControl, AccessRequest, Principal, RegistryAction } from './access-control.port';
import { noteRequestUser } from '@wharf/observability';
import { contentLength, discardBody, header, readBody, send, sendError, sendJson } from './http-io';

export interface RegistryLogger {
  error(message: string, fields: Record<string, unknown>): void;
}

type Ctx = {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  principal: Principal;
};

const CATALOG_DEFAULT = 100;
const PAGE_MAX = 10_000;

/**
 * The OCI Distribution HTTP API on a plain Node request/response pair, so it can be mounted in
 * front of any framework. Thin: parse the route, authorise, call a service, write headers.
 */
export class RegistryHttpHandler {
  constructor(
    private readonly blobs: BlobService,
    private readonly uploads: UploadService,
    private readonly manifests: ManifestService,
    private readonly access: AccessControl,
    private readonly limits: RegistryLimits,
    private readonly logger: RegistryLogger,
    /** Pushes and deletes are recorded in the same audit log as logins and API changes. */
    private readonly auditLog: AuditLog | null = null,
    /** The client's address behind trusted proxies (WHARF_TRUSTED_PROXIES), for the audit log. */
    private readonly clientAddress: (req: IncomingMessage) => string | null = (req) => req.socket?.remoteAddress ?? null,
  ) {}

  /** Handles `/v2` and `/v2/...`; never throws. */
  handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const { path, query } = splitUrl(req.url ?? '/');
      const route = parseRegistryPath(path);
      if (!route) throw new OciError('NOT_FOUND', `no registry endpoint at ${path.slice(0, 200)}`);
      const method = req.method ?? 'GET';
      const need = requiredAccess(route, method, query);
      const principal = await this.access.authorize(req, need);
      noteRequestUser(req, principal.subject);
      await this.dispatch(route, method, { req, res, query, principal });
    } catch (caught) {
      const err =
        caught instanceof StorageFullError
          ? new OciError('STORAGE_FULL', 'the registry storage is full: nothing of this upload was kept; try again once space is freed')
          : (storeErrorAsOci(caught) ?? caught);
      // A client that went away mid-request is not a server fault: no error log for it.
      const clientGone = req.destroyed && !req.complete;
      let answer = err;
      if (!(err instanceof OciError) && !clientGone) {
        // A fault of ours: logged with a request id the client is given too, so the two can be matched.
        const requestId = header(req, 'x-request-id') ?? randomUUID();
        this.logger.error('registry request failed', { requestId, method: req.method, url: req.url, error: String((err as Error)?.stack ?? err) });
        answer = new OciError('INTERNAL_ERROR', `internal server error (request id ${requestId})`, undefined, { 'x-request-id': requestId });
      }
      // Refused before the client finished sending (a manifest over the limit): let it finish, so it reads the answer.
      if (!res.headersSent && !clientGone) await discardBody(req);
      sendError(req, res, answer);
    }
  };

  private async dispatch(route: RegistryRoute, method: string, ctx: Ctx): Promise<void> {
    switch (route.kind) {
      case 'ping':
        return send(ctx.res, 200, { 'content-type': 'application/json' }, method === 'HEAD' ? undefined : '{}');
      case 'catalog':
        return this.catalog(ctx);
      case 'tags':
        return this.tags(route.name, ctx);
      case 'manifest':
        if (method === 'GET' || method === 'HEAD') return this.getManifest(route.name, route.reference, method, ctx);
        if (method === 'PUT') return this.putManifest(route.name, route.reference, ctx);
        await this.manifests.delete(route.name, route.reference);
        this.audit(ctx, route.reference.includes(':') ? 'manifest.delete' : 'tag.delete', `${route.name}:${route.reference}`);
        return send(ctx.res, 202, {});
      case 'blob':
        if (method === 'DELETE') {
          await this.blobs.delete(route.name, route.digest);
          this.audit(ctx, 'blob.delete', `${route.name}@${route.digest}`);
          return send(ctx.res, 202, {});
        }
        return this.getBlob(route.name, route.digest, method, ctx);
      case 'upload-start':
        return this.startUpload(route.name, ctx);
      case 'upload':
        return this.upload(route.name, route.uploadId, method, ctx);
      case 'referrers':
        return this.referrers(route.name, route.digest, ctx);
    }
  }

  private async catalog(ctx: Ctx): Promise<void> {
    const n = pageSize(ctx.query, CATALOG_DEFAULT);
    const last = ctx.query.get('last');
    const page = n === 0 ? [] : await this.manifests.catalog(last, n + 1, this.access.catalogViewer(ctx.principal));
    const more = page.length > n;
    const names = page.slice(0, n);
    const headers: Record<string, string> = {};
    if (more) headers['link'] = `</v2/_catalog?last=${encodeURIComponent(page[n - 1] as string)}&n=${n}>; rel="next"`;
    sendJson(ctx.res, 200, { repositories: names }, headers);
  }

  private async tags(name: string, ctx: Ctx): Promise<void> {
    const n = ctx.query.has('n') ? pageSize(ctx.query, 0) : null;
    const last = ctx.query.get('last');
    const tags = n === 0 ? await this.manifests.tags(name, last, 0) : await this.manifests.tags(name, last, n === null ? null : n + 1);
    const headers: Record<string, string> = {};
    if (n !== null && tags.length > n) {
      tags.length = n;
      headers['link'] = `</v2/${name}/tags/list?last=${encodeURIComponent(tags[n - 1] as string)}&n=${n}>; rel="next"`;
    }
    sendJson(ctx.res, 200, { name, tags }, headers);
  }

  private async getManifest(name: string, reference: string, method: string, ctx: Ctx): Promise<void> {
    const m = await this.manifests.get(name, reference, header(ctx.req, 'accept'), method === 'GET');
    send(
      ctx.res,
      200,
      { 'content-type': m.mediaType, 'docker-content-digest': m.digest, etag: `"${m.digest}"`, 'content-length': m.payload.length },
      method === 'HEAD' ? undefined : m.payload,
    );
  }

  private async putManifest(name: string, reference: string, ctx: Ctx): Promise<void> {
    const body = await readBody(
      ctx.req,
      this.limits.maxManifestBytes,
      () => new OciError('PAYLOAD_TOO_LARGE', `manifest exceeds the limit of ${this.limits.maxManifestBytes} bytes`),
    );
    const result = await this.manifests.put(name, reference, header(ctx.req, 'content-type'), body, ctx.principal.subject);
    this.audit(ctx, 'manifest.push', `${name}:${reference}`, { digest: result.digest });
    const headers: Record<string, string> = {
      location: `/v2/${name}/manifests/${result.digest}`,
      'docker-content-digest': result.digest,
    };
    if (result.subject) headers['oci-subject'] = result.subject;
    send(ctx.res, 201, headers);
  }

  private async getBlob(name: string, digest: string, method: string, ctx: Ctx): Promise<void> {
    if (method === 'HEAD') {
      const blob = await this.blobs.stat(name, digest);
      return send(ctx.res, 200, {
        'content-length': blob.size,
        'content-type': 'application/octet-stream',
        'docker-content-digest': blob.digest,
        'accept-ranges': 'bytes',
        etag: `"${blob.digest}"`,
      });
    }
    const content = await this.blobs.open(name, digest, header(ctx.req, 'range'));
    if (content.kind === 'redirect') {
      return send(ctx.res, 307, { location: content.url, 'docker-content-digest': content.blob.digest });
    }
    const { blob, range } = content;
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'docker-content-digest': blob.digest,
      'accept-ranges': 'bytes',
      etag: `"${blob.digest}"`,
      'docker-distribution-api-version': 'registry/2.0',
    };
    if (range) {
      headers['content-range'] = `bytes ${range.start}-${range.end}/${blob.size}`;
      headers['content-length'] = range.end - range.start + 1;
    } else {
      headers['content-length'] = blob.size;
    }
    ctx.res.writeHead(range ? 206 : 200, headers);
    try {
      await content.copyTo(ctx.res);
      ctx.res.end();
    } catch (err) {
      // Mid-stream nothing more can be said on this response: cut it. A client that went away is
      // normal (a cancelled pull); anything else is a storage fault worth a log line.
      ctx.res.destroy();
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END'].includes(code)) {
        this.logger.error('blob stream failed', { url: ctx.req.url, error: String((err as Error)?.stack ?? err) });
      }
    }
  }

  private async startUpload(name: string, ctx: Ctx): Promise<void> {
    const mount = ctx.query.get('mount');
    const from = ctx.query.get('from');
    if (mount && from && (await this.access.canPull(ctx.req, ctx.principal, from))) {
      const mounted = await this.uploads.mount(name, mount, from).catch((err) => {
        // An invalid `from` name is not the pusher's problem: fall back to a normal upload.
        if (err instanceof OciError && err.code === 'NAME_INVALID') return null;
        throw err;
      });
      if (mounted) return this.created(name, mounted.digest, ctx);
    }
    const digest = ctx.query.get('digest');
    if (digest !== null) {
      const blob = await this.uploads.monolithic(name, digest, ctx.req, contentLength(ctx.req));
      return this.created(name, blob.digest, ctx);
    }
    const id = await this.uploads.start(name);
    send(ctx.res, 202, uploadHeaders(name, id, 0));
  }

  private async upload(name: string, id: string, method: string, ctx: Ctx): Promise<void> {
    const chunk = () => ({
      body: ctx.req,
      contentLength: contentLength(ctx.req),
      contentRange: header(ctx.req, 'content-range'),
    });
    switch (method) {
      case 'GET':
        return send(ctx.res, 204, uploadHeaders(name, id, await this.uploads.status(name, id)));
      case 'PATCH': {
        try {
          const size = await this.uploads.append(name, id, chunk());
          return send(ctx.res, 202, uploadHeaders(name, id, size));
        } catch (err) {
          if (err instanceof OciError && err.code === 'RANGE_INVALID') {
            Object.assign(err.headers ?? {}, { location: `/v2/${name}/blobs/uploads/${id}`, 'docker-upload-uuid': id });
          }
          throw err;
        }
      }
      case 'PUT': {
        const blob = await this.uploads.finish(name, id, ctx.query.get('digest'), chunk());
        return this.created(name, blob.digest, ctx);
      }
      case 'DELETE':
        await this.uploads.cancel(name, id);
        return send(ctx.res, 204, {});
      default:
        throw new OciError('METHOD_NOT_ALLOWED', `${method} is not allowed on an upload`);
    }
  }

  private async referrers(name: string, digest: string, ctx: Ctx): Promise<void> {
    const artifactType = ctx.query.get('artifactType');
    const manifests = await this.manifests.referrers(name, digest, artifactType);
    const headers: Record<string, string> = {};
    if (artifactType) headers['oci-filters-applied'] = 'artifactType';
    send(
      ctx.res,
      200,
      { 'content-type': MediaType.OciIndex, ...headers },
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }),
    );
  }

  /** Registry changes go to the audit log without holding up the response. */
  private audit(ctx: Ctx, action: string, resource: string, detail?: Record<string, unknown>): void {
    const claims = ctx.principal.claims as { wharf?: { acct?: string } } | undefined;
    this.auditLog
      ?.record({
        actor: ctx.principal.subject,
        accountId: claims?.wharf?.acct ?? null,
        action,
        resource,
        result: 'success',
        clientAddress: this.clientAddress(ctx.req),
        detail,
      })
      .catch((err) => this.logger.error('audit write failed', { error: String(err) }));
  }

  private created(name: string, digest: string, ctx: Ctx): void {
    send(ctx.res, 201, { location: `/v2/${name}/blobs/${digest}`, 'docker-content-digest': digest });
  }
}

function uploadHeaders(name: string, id: string, size: number): Record<string, string> {
  return {
    location: `/v2/${name}/blobs/uploads/${id}`,
    range: rangeHeader(size),
    'docker-upload-uuid': id,
  };
}

/** `n` query parameter: a non-negative integer; larger than the maximum is clamped. */
function pageSize(query: URLSearchParams, fallback: number): number {
  const raw = query.get('n');
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new OciError('PAGINATION_NUMBER_INVALID', `n="${raw.slice(0, 20)}" must be a non-negative integer`);
  return Math.min(Number(raw), PAGE_MAX);
}

const READ = new Set(['GET', 'HEAD']);
const WRITE: Record<string, RegistryAction[]> = { POST: ['pull', 'push'], PUT: ['pull', 'push'], PATCH: ['pull', 'push'] };

/** The actions a request needs, or METHOD_NOT_ALLOWED for a method the route does not take. */
export function requiredAccess(route: RegistryRoute, method: string, query?: URLSearchParams): AccessRequest {
  const deny = () => new OciError('METHOD_NOT_ALLOWED', `${method} is not allowed on this endpoint`);
  switch (route.kind) {
    case 'ping':
      if (!READ.has(method)) throw deny();
      return { repository: null, actions: [] };
    case 'catalog':
      if (method !== 'GET') throw deny();
      return { repository: null, actions: [], catalog: true };
    case 'tags':
    case 'referrers':
      if (method !== 'GET') throw deny();
      return { repository: route.name, actions: ['pull'] };
    case 'manifest':
    case 'blob':
      if (READ.has(method)) return { repository: route.name, actions: ['pull'] };
      if (method === 'DELETE') return { repository: route.name, actions: ['delete'] };
      if (method === 'PUT' && route.kind === 'manifest') return { repository: route.name, actions: ['pull', 'push'] };
      throw deny();
    case 'upload-start': {
      if (method !== 'POST') throw deny();
      const from = query?.get('mount') ? query.get('from') : null;
      const optional = from && checkRepositoryName(from) === null ? { repository: from, actions: ['pull'] as RegistryAction[] } : undefined;
      return { repository: route.name, actions: ['pull', 'push'], optional };
    }
    case 'upload': {
      const actions = WRITE[method] ?? (method === 'GET' || method === 'DELETE' ? ['pull', 'push'] : null);
      if (!actions) throw deny();
      return { repository: route.name, actions };
    }
  }
}
