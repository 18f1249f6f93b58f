import { request } from 'node:http';
import type { Pool } from 'pg';
import { adminApi, GcServer } from './gc-server';

/** Page upload as the console does it: a multipart POST, then polling each file's status. */
export interface UploadView {
  id: string;
  organization: string;
  fileName: string;
  uploadedBy: string;
  status: string;
  phase: string | null;
  bytesTotal: number | null;
  bytesDone: number;
  images: { repository: string; tags: string[]; digest: string }[];
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export function uploadFiles(s: GcServer, org: string, files: { name: string; content: Buffer }[], bearer = s.bearer): Promise<Response> {
  const form = new FormData();
  form.append('org', org);
  for (const f of files) form.append('files', new Blob([f.content]), f.name);
  return fetch(`${s.srv.url}/api/v1/uploads`, { method: 'POST', body: form, headers: { authorization: `Bearer ${bearer}` } });
}

export async function waitForUpload(s: GcServer, id: string, timeoutMs = 60_000, bearer = s.bearer): Promise<UploadView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${s.srv.url}/api/v1/uploads/${id}`, { headers: { authorization: `Bearer ${bearer}` } });
    const view = (await res.json()) as UploadView;
    if (view.status === 'succeeded' || view.status === 'failed') return view;
    if (Date.now() > deadline) throw new Error(`upload ${id} still ${view.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Uploads the files in one request and waits for every one of them to end. */
export async function uploadAndWait(s: GcServer, org: string, files: { name: string; content: Buffer }[], timeoutMs = 60_000): Promise<UploadView[]> {
  const res = await uploadFiles(s, org, files);
  if (res.status !== 202) throw new Error(`POST /uploads answered ${res.status}: ${await res.text()}`);
  const { uploads } = (await res.json()) as { uploads: UploadView[] };
  const out: UploadView[] = [];
  for (const u of uploads) out.push(await waitForUpload(s, u.id, timeoutMs));
  return out;
}

/** What an organization has in the registry tables: repositories, tags, blob links. */
export async function registryRows(db: Pool, org: string): Promise<{ repositories: number; tags: number; links: number; manifests: number }> {
  const res = await db.query(
    `SELECT (SELECT count(*) FROM repositories WHERE name LIKE $1)::int AS repositories,
            (SELECT count(*) FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.name LIKE $1)::int AS tags,
            (SELECT count(*) FROM repository_blobs l JOIN repositories r ON r.id = l.repository_id WHERE r.name LIKE $1)::int AS links,
            (SELECT count(*) FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.name LIKE $1)::int AS manifests`,
    [`${org}/%`],
  );
  return res.rows[0];
}

/**
 * A multipart upload of one file of `totalBytes` random-ish bytes, written as fast as the server
 * takes them, stopping when the answer arrives. Returns the answer and how many bytes were sent.
 */
export function streamingUpload(s: GcServer, org: string, fileName: string, totalBytes: number): Promise<{ status: number; body: string; sent: number }> {
  const boundary = 'wharfboundary7d1f';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="org"\r\n\r\n${org}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${fileName}"\r\nContent-Type: application/x-tar\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(`${s.srv.url}/api/v1/uploads`);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: `Bearer ${s.bearer}`, 'content-type': `multipart/form-data; boundary=${boundary}` } },
      (res) => {
        answered = true;
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sent }));
      },
    );
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    const pump = () => {
      while (!answered && sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end(tail);
    };
    req.write(head);
    pump();
  });
}

export function auditActions(s: GcServer, action: string, resource: string): Promise<{ items: { actor: string; result: string; detail: Record<string, unknown> }[] }> {
  return adminApi(s, `/audit-events?action=${action}&resource=${encodeURIComponent(resource)}`).then((r) => r.json() as never);
}
