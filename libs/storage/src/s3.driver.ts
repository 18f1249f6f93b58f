import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkPath, FileInfo, InvalidOffsetError, PathNotFoundError, RedirectOptions, StorageDriver, WriteOptions } from '@wharf/storage-api';
import { forEachLimit } from '@wharf/util';
import { readUpTo } from './stream-util';

export interface S3DriverOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix inside the bucket (no leading slash), e.g. `wharf/`. */
  prefix: string;
  /** Part size of multipart uploads; streams smaller than this go up in one PutObject. */
  partSize?: number;
}

/** S3 refuses parts below 5 MiB except the last one. */
export const S3_MIN_PART = 5 * 1024 * 1024;
const MAX_COPY_PART = 5 * 1024 ** 3;
/**
 * Appends are stored as immutable segment objects `<key>.__seg/<offset>` (S3 has no append);
 * `stat`, `reader` and `move` present them as one file. `checkPath` reserves the `.__seg` suffix.
 */
const SEG = '.__seg/';

interface Segment {
  key: string;
  offset: number;
  size: number;
  modified?: Date;
}

export class S3Driver implements StorageDriver {
  readonly name = 's3';
  private readonly s3: S3Client;
  private readonly partSize: number;

  constructor(private readonly options: S3DriverOptions) {
    this.s3 = options.client;
    this.partSize = Math.max(options.partSize ?? 16 * 1024 * 1024, S3_MIN_PART);
  }

  private key(path: string): string {
    checkPath(path);
    return this.options.prefix + path.slice(1);
  }

  async stat(path: string): Promise<FileInfo | null> {
    const key = this.key(path);
    const head = await this.head(key);
    if (head) return { path, ...head, isDirectory: false };
    const segments = await this.segments(key);
    if (segments.length > 0) {
      const last = segments[segments.length - 1] as Segment;
      // Modified when the last append landed (garbage collection ages abandoned uploads by it).
      return { path, size: last.offset + last.size, modified: last.modified ?? new Date(), isDirectory: false };
    }
    const dir = await this.s3.send(
      new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: path === '/' ? this.options.prefix : `${key}/`, MaxKeys: 1 }),
    );
    return (dir.KeyCount ?? 0) > 0 ? { path, size: 0, modified: new Date(), isDirectory: true } : null;
  }

  async getContent(path: string): Promise<Buffer> {
    const stream = await this.reader(path);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async putContent(path: string, content: Buffer): Promise<void> {
    await this.write(path, Readable.from([content]));
  }

  async reader(path: string, offset = 0, length?: number): Promise<Readable> {
    const key = this.key(path);
    const head = await this.head(key);
    const segments = head ? [{ key, offset: 0, size: head.size }] : await this.segments(key);
    if (segments.length === 0) throw new PathNotFoundError(path);
    const last = segments[segments.length - 1] as Segment;
    const size = last.offset + last.size;
    if (offset < 0 || offset > size) throw new InvalidOffsetError(path, offset);
    const end = Math.min(size, length === undefined ? size : offset + length);
    if (end <= offset) return Readable.from([]);
    const getRange = (key: string, from: number, to: number) => this.getRange(key, from, to);
    return Readable.from(
      (async function* () {
        for (const seg of segments) {
          const from = Math.max(offset, seg.offset);
          const to = Math.min(end, seg.offset + seg.size);
          if (from >= to) continue;
          yield* await getRange(seg.key, from - seg.offset, to - seg.offset);
        }
      })(),
      { objectMode: false },
    );
  }

  async copyTo(path: string, destination: NodeJS.WritableStream, offset = 0, length?: number): Promise<void> {
    // The SDK's response streams allocate per chunk anyway: stream them through.
    await pipeline(await this.reader(path, offset, length), destination as NodeJS.WritableStream, { end: false });
  }

  async write(path: string, source: Readable, options: WriteOptions = {}): Promise<number> {
    const key = this.key(path);
    if (!options.append) {
      const size = await this.upload(key, source);
      await this.deletePrefix(key + SEG);
      return size;
    }
    let segments = await this.segments(key);
    const plain = await this.head(key);
    if (plain) {
      // Turn an existing plain object into segment 0 so appends stay all-or-nothing.
      await this.copy(key, segmentKey(key, 0), plain.size);
      await this.deleteKeys([key]);
      segments = [{ key: segmentKey(key, 0), offset: 0, size: plain.size }];
    }
    const last = segments[segments.length - 1];
    const offset = last ? last.offset + last.size : 0;
    const written = await this.upload(segmentKey(key, offset), source);
    return offset + written;
  }

  async list(path: string): Promise<string[]> {
    const base = path === '/' ? '' : path;
    const prefix = path === '/' ? this.options.prefix : `${this.key(path)}/`;
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) names.add((o.Key as string).slice(prefix.length));
      for (const p of page.CommonPrefixes ?? []) {
        const name = (p.Prefix as string).slice(prefix.length, -1);
        names.add(name.endsWith('.__seg') ? name.slice(0, -'.__seg'.length) : name);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (names.size === 0) throw new PathNotFoundError(path);
    return [...names].sort().map((n) => `${base}/${n}`);
  }

  async move(source: string, dest: string): Promise<void> {
    const from = this.key(source);
    const to = this.key(dest);
    const head = await this.head(from);
    if (head) {
      await this.copy(from, to, head.size);
      await this.deletePrefix(to + SEG);
      await this.deleteKeys([from]);
      return;
    }
    const segments = await this.segments(from);
    if (segments.length === 0) throw new PathNotFoundError(source);
    await this.compose(segments, to);
    await this.deletePrefix(to + SEG);
    await this.deletePrefix(from + SEG);
  }

  async delete(path: string): Promise<void> {
    const key = this.key(path);
    const removed =
      (await this.deleteKeys((await this.head(key)) ? [key] : [])) +
      (await this.deletePrefix(key + SEG)) +
      (await this.deletePrefix(path === '/' ? this.options.prefix : `${key}/`));
    if (removed === 0) throw new PathNotFoundError(path);
  }

  /** DeleteObjects, 1,000 keys a request, four requests in flight (S3 has no directories to prune). */
  async deleteMany(paths: string[]): Promise<void> {
    const keys = paths.map((p) => this.key(p));
    const batches: string[][] = [];
    for (let i = 0; i < keys.length; i += 1000) batches.push(keys.slice(i, i + 1000));
    await forEachLimit(batches, 4, async (batch) => {
      await this.deleteKeys(batch);
    });
  }

  async redirectUrl(path: string, options: RedirectOptions): Promise<string | null> {
    const key = this.key(path);
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.options.bucket, Key: key }), {
      expiresIn: options.expiresInSeconds,
    });
  }

  // ---- internals ------------------------------------------------------------------------------

  private async head(key: string): Promise<{ size: number; modified: Date } | null> {
    try {
      const h = await this.s3.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return { size: h.ContentLength ?? 0, modified: h.LastModified ?? new Date() };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  private async segments(key: string): Promise<Segment[]> {
    const out: Segment[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: key + SEG, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        const offset = Number((o.Key as string).slice(key.length + SEG.length));
        out.push({ key: o.Key as string, offset, size: o.Size ?? 0, modified: o.LastModified });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => a.offset - b.offset);
  }

  private async getRange(key: string, from: number, to: number): Promise<Readable> {
    const res = await this.s3.send(
      new GetObjectCommand({ Bucket: this.options.bucket, Key: key, Range: `bytes=${from}-${to - 1}` }),
    );
    return res.Body as Readable;
  }

  /**
   * Uploads a stream: one PutObject when it fits in a part, else a multipart upload that is
   * aborted on any error, so a stream that fails leaves nothing behind.
   */
  private async upload(key: string, source: Readable): Promise<number> {
    const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const carry: Buffer[] = [];
    const first = await readUpTo(iterator, this.partSize, carry);
    if (first.done) {
      await this.s3.send(
        new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: first.data, ContentLength: first.data.length }),
      );
      return first.data.length;
    }
    const { UploadId } = await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.options.bucket, Key: key }));
    const parts: { ETag: string; PartNumber: number }[] = [];
    let total = 0;
    try {
      let chunk = first;
      for (let n = 1; ; n++) {
        const res = await this.s3.send(
          new UploadPartCommand({
            Bucket: this.options.bucket,
            Key: key,
            UploadId,
            PartNumber: n,
            Body: chunk.data,
            ContentLength: chunk.data.length,
          }),
        );
        parts.push({ ETag: res.ETag as string, PartNumber: n });
        total += chunk.data.length;
        if (chunk.done) break;
        chunk = await readUpTo(iterator, this.partSize, carry);
        if (chunk.data.length === 0 && chunk.done) break;
      }
      await this.s3.send(
        new CompleteMultipartUploadCommand({ Bucket: this.options.bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }),
      );
      return total;
    } catch (err) {
      await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: key, UploadId })).catch(() => undefined);
      throw err;
    }
  }

  private async copy(from: string, to: string, size: number): Promise<void> {
    if (size <= MAX_COPY_PART) {
      await this.s3.send(
        new CopyObjectCommand({ Bucket: this.options.bucket, Key: to, CopySource: copySource(this.options.bucket, from) }),
      );
      return;
    }
    await this.compose([{ key: from, offset: 0, size }], to);
  }

  /**
   * Concatenates segments into one object. Ranges of at least 5 MiB are copied server-side
   * (UploadPartCopy); smaller pieces are gathered into a bounded buffer until they make a part.
   */
  private async compose(segments: Segment[], to: string): Promise<void> {
    const total = segments.reduce((n, s) => n + s.size, 0);
    if (total < S3_MIN_PART) {
      const body = Buffer.concat(await Promise.all(segments.map((s) => this.fetch(s.key, 0, s.size))));
      await this.s3.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: to, Body: body, ContentLength: body.length }));
      return;
    }
    const { UploadId } = await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.options.bucket, Key: to }));
    const parts: { ETag: string; PartNumber: number }[] = [];
    const pending: Buffer[] = [];
    let pendingSize = 0;
    const flush = async () => {
      if (pendingSize === 0) return;
      const body = Buffer.concat(pending);
      pending.length = 0;
      pendingSize = 0;
      const n = parts.length + 1;
      const res = await this.s3.send(
        new UploadPartCommand({ Bucket: this.options.bucket, Key: to, UploadId, PartNumber: n, Body: body, ContentLength: body.length }),
      );
      parts.push({ ETag: res.ETag as string, PartNumber: n });
    };
    try {
      for (const seg of segments) {
        let pos = 0;
        while (pos < seg.size) {
          const remaining = seg.size - pos;
          if (pendingSize === 0 && remaining >= S3_MIN_PART) {
            let len = Math.min(remaining, MAX_COPY_PART);
            // Never leave a tail below the minimum that would then have to start a part of its own mid-file.
            if (remaining - len > 0 && remaining - len < S3_MIN_PART) len -= S3_MIN_PART;
            const n = parts.length + 1;
            const res = await this.s3.send(
              new UploadPartCopyCommand({
                Bucket: this.options.bucket,
                Key: to,
                UploadId,
                PartNumber: n,
                CopySource: copySource(this.options.bucket, seg.key),
                CopySourceRange: `bytes=${pos}-${pos + len - 1}`,
              }),
            );
            parts.push({ ETag: res.CopyPartResult?.ETag as string, PartNumber: n });
            pos += len;
            continue;
          }
          const len = Math.min(remaining, this.partSize - pendingSize);
          pending.push(await this.fetch(seg.key, pos, pos + len));
          pendingSize += len;
          pos += len;
          if (pendingSize >= S3_MIN_PART) await flush();
        }
      }
      await flush();
      await this.s3.send(
        new CompleteMultipartUploadCommand({ Bucket: this.options.bucket, Key: to, UploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (err) {
      await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: to, UploadId })).catch(() => undefined);
      throw err;
    }
  }

  private async fetch(key: string, from: number, to: number): Promise<Buffer> {
    if (to <= from) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    for await (const c of await this.getRange(key, from, to)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private async deletePrefix(prefix: string): Promise<number> {
    let removed = 0;
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      removed += await this.deleteKeys((page.Contents ?? []).map((o) => o.Key as string));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return removed;
  }

  private async deleteKeys(keys: string[]): Promise<number> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const res = await this.s3.send(
        new DeleteObjectsCommand({ Bucket: this.options.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      // A batch delete answers 200 with the keys it could not delete listed: those are failures.
      const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        throw new Error(`S3 could not delete ${failed.length} of ${batch.length} objects (first: ${failed[0]?.Key}: ${failed[0]?.Code} ${failed[0]?.Message})`);
      }
    }
    return keys.length;
  }
}

function segmentKey(key: string, offset: number): string {
  return `${key}${SEG}${String(offset).padStart(20, '0')}`;
}

function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}
