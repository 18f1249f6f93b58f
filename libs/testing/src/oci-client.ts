import { createHash } from 'node:crypto';

/**
 * A minimal OCI client over fetch for API tests: each helper asserts nothing itself and returns
 * the raw Response, so tests state the behaviour they expect.
 */
export const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export class OciTestClient {
  constructor(readonly base: string) {}

  request(path: string, init: RequestInit & { duplex?: 'half' } = {}): Promise<Response> {
    return fetch(`${this.base}${path}`, { redirect: 'manual', ...init });
  }

  /** Monolithic single-request upload (`POST ?digest=`). */
  pushBlob(name: string, data: Buffer | string): Promise<Response> {
    const body = Buffer.from(data);
    return this.request(`/v2/${name}/blobs/uploads/?digest=${sha256(body)}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
  }

  async startUpload(name: string): Promise<string> {
    const res = await this.request(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
    if (res.status !== 202) throw new Error(`upload start answered ${res.status}: ${await res.text()}`);
    return res.headers.get('location') as string;
  }

  putManifest(name: string, reference: string, manifest: unknown, mediaType: string): Promise<Response> {
    const body = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
    return this.request(`/v2/${name}/manifests/${reference}`, { method: 'PUT', body, headers: { 'content-type': mediaType } });
  }

  /** Pushes config + layers and an OCI image manifest; returns the manifest digest and body. */
  async pushImage(
    name: string,
    tag: string | null,
    layers: (Buffer | string)[],
    extra: Record<string, unknown> = {},
  ): Promise<{ digest: string; body: string; config: string }> {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: Math.random() }));
    for (const blob of [config, ...layers]) {
      const res = await this.pushBlob(name, blob);
      if (res.status !== 201) throw new Error(`blob push answered ${res.status}: ${await res.text()}`);
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: Buffer.from(l).length })),
      ...extra,
    };
    const body = JSON.stringify(manifest);
    const digest = sha256(body);
    const res = await this.putManifest(name, tag ?? digest, body, manifest.mediaType);
    if (res.status !== 201) throw new Error(`manifest push answered ${res.status}: ${await res.text()}`);
    return { digest, body, config: sha256(config) };
  }
}

/** The first OCI error code of a response body. */
export async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { errors?: { code: string }[] };
  return body.errors?.[0]?.code ?? '';
}

/** Error code and message of a response body. */
export async function ociError(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { errors?: { code: string; message: string }[] };
  return { code: body.errors?.[0]?.code ?? '', message: body.errors?.[0]?.message ?? '' };
}

/** A response's JSON body, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function jsonOf(res: Response | Promise<Response>): Promise<any> {
  return (await res).json();
}
