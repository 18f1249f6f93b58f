#!/usr/bin/env node
/**
 * The suite's S3 server on a machine without moto: s3rver (an npm dev dependency, a real S3 HTTP
 * server over the filesystem) with the three calls it lacks, added here on top of its own store:
 * UploadPartCopy (PUT ?partNumber&uploadId with x-amz-copy-source[-range]), AbortMultipartUpload
 * (DELETE ?uploadId) and ListMultipartUploads (GET /bucket?uploads). Everything else, including
 * multipart uploads, DeleteObjects, ranges and listings, is s3rver's. Like moto it does not check
 * V4 signatures, so presigned-URL signing is tested separately.
 *
 * Usage: node scripts/s3-test-server.mjs <port> <directory>; credentials test/test.
 */
import { createServer } from 'node:http';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');

const [port, directory] = process.argv.slice(2);
new AWSAccount(1, 'wharf-test').createKeyPair('test', 'test');
const s3 = new S3rver({ address: '127.0.0.1', port: Number(port), directory, silent: true });
const store = s3.store;
const s3rverHandler = s3.callback();

const xml = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
};
const uploadsDir = (bucket) => join(store.getResourcePath(bucket, undefined, 'uploads'));

async function uploadPartCopy(req, res, bucket, query) {
  const source = decodeURIComponent(req.headers['x-amz-copy-source'].replace(/^\//, ''));
  const slash = source.indexOf('/');
  const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers['x-amz-copy-source-range'] ?? '');
  const object = await store.getObject(source.slice(0, slash), source.slice(slash + 1), range ? { start: Number(range[1]), end: Number(range[2]) } : undefined);
  if (!object?.content) return xml(res, 404, '<Error><Code>NoSuchKey</Code><Message>copy source not found</Message></Error>');
  const { md5 } = await store.putPart(bucket, query.get('uploadId'), query.get('partNumber'), object.content);
  xml(res, 200, `<CopyPartResult><ETag>"${md5}"</ETag><LastModified>${new Date().toISOString()}</LastModified></CopyPartResult>`);
}

async function listMultipartUploads(res, bucket) {
  const ids = await readdir(uploadsDir(bucket)).catch(() => []);
  const uploads = await Promise.all(ids.map(async (id) => ({ id, key: await readFile(join(uploadsDir(bucket), id, 'key'), 'utf8').catch(() => '') })));
  const items = uploads.map((u) => `<Upload><Key>${u.key}</Key><UploadId>${u.id}</UploadId></Upload>`).join('');
  xml(res, 200, `<ListMultipartUploadsResult><Bucket>${bucket}</Bucket><IsTruncated>false</IsTruncated>${items}</ListMultipartUploadsResult>`);
}

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://s3');
  const [bucket, ...key] = url.pathname.slice(1).split('/');
  const q = url.searchParams;
  const handled =
    req.method === 'PUT' && q.has('uploadId') && req.headers['x-amz-copy-source'] ? uploadPartCopy(req, res, bucket, q)
    : req.method === 'DELETE' && q.has('uploadId') && key.length > 0 ? rm(join(uploadsDir(bucket), q.get('uploadId')), { recursive: true, force: true }).then(() => (res.writeHead(204), res.end()))
    : req.method === 'GET' && q.has('uploads') && key.join('') === '' ? listMultipartUploads(res, bucket)
    : null;
  if (handled === null) return s3rverHandler(req, res);
  handled.catch((err) => xml(res, 500, `<Error><Code>InternalError</Code><Message>${String(err)}</Message></Error>`));
});
server.listen(Number(port), '127.0.0.1');
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => server.close(() => process.exit(0)));
