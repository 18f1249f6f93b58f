import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { ImportOut, UploadBatch } from '@wharf/import-core';
import { ValidationError } from '@wharf/util';

export interface ReceiveOptions {
  /** Checks the request (organization, permission, declared size, limits) once `org` is known. */
  begin(organization: string, declaredBytes: number | null): Promise<UploadBatch>;
  clientAddress: string | null;
}

/**
 * Reads a `multipart/form-data` upload as it arrives: the field `org` first, then up to 10 files
 * in `files`, each streamed into storage (one at a time, the form's order) and never held in
 * memory. The first refusal stops reading the body (the caller closes the connection); a client
 * that leaves mid-body, or any refusal, leaves none of the request's files behind.
 */
export async function receiveUpload(req: IncomingMessage, options: ReceiveOptions): Promise<ImportOut[]> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type)) {
    throw new ValidationError('body', 'the request must be multipart/form-data: the field "org", then the archives in "files"');
  }
  const length = req.headers['content-length'];
  const declared = length !== undefined && /^\d+$/.test(length) ? Number(length) : null;
  let batch: Promise<UploadBatch> | null = null;
  try {
    return await new Promise<ImportOut[]>((resolve, reject) => {
      let bb: busboy.Busboy;
      try {
        bb = busboy({ headers: req.headers, limits: { fields: 20, fieldSize: 4096, parts: 64 } });
      } catch (err) {
        throw new ValidationError('body', `malformed multipart request: ${(err as Error).message}`);
      }
      let org: string | null = null;
      let chain: Promise<void> = Promise.resolve();
      let current: Readable | null = null;
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        req.unpipe(bb);
        current?.destroy(err as Error);
        reject(err);
      };
      bb.on('field', (name, value) => {
        if (name === 'org') org = value.trim();
      });
      bb.on('file', (name, stream, info) => {
        if (failed) return void stream.resume();
        if (name !== 'files') {
          stream.resume();
          return fail(new ValidationError('files', `unexpected file field "${name.slice(0, 50)}": send the archives in "files"`));
        }
        if (org === null) {
          stream.resume();
          return fail(new ValidationError('org', 'the field "org" (the organization to upload into) must come before the files'));
        }
        const organization = org;
        batch ??= options.begin(organization, declared);
        const started = batch;
        chain = chain
          .then(async () => {
            current = stream;
            await (await started).addFile(info.filename || 'unnamed', stream);
            current = null;
          })
          .catch((err) => {
            stream.resume();
            fail(err);
          });
      });
      bb.on('close', () => {
        void chain.then(async () => {
          if (failed) return;
          if (!batch) return fail(new ValidationError(org === null ? 'org' : 'files', org === null ? 'the field "org" is missing' : 'no file was uploaded (field "files")'));
          resolve(await (await batch).finish(options.clientAddress));
        }).catch(fail);
      });
      bb.on('error', (err) => fail(new ValidationError('body', `malformed multipart body: ${(err as Error).message}`)));
      req.on('close', () => {
        if (!req.complete) fail(new Error('the client disconnected before the upload was complete'));
      });
      req.pipe(bb);
    });
  } catch (err) {
    if (batch) await (batch as Promise<UploadBatch>).then((b) => b.abort(`upload failed: ${(err as Error).message}`), () => undefined);
    throw err;
  }
}
