#!/usr/bin/env node
/**
 * The suite's S3 server on a machine without moto: s3rver (an npm dev dependency, a real S3 HTTP
 * server over the filesystem) with the calls it lacks, added here on top of its own store:
 * UploadPartCopy (PUT ?partNumber&uploadId with x-amz-copy-source[-range]), AbortMultipartUpload
 * (DELETE ?uploadId) and ListMultipartUploads (GET /bucket?uploads), and listings with a delimiter
 * (its own miss "directories" holding only directories). Everything else, including multipart
 * uploads, DeleteObjects, ranges and listings without a delimiter, is s3rver's. Like moto it does
 * not check V4 signatures, so presigned-URL signing is tested separately.
 *
 * Usage: node scripts/s3-test-server.mjs <port> <directory>; credentials test/test.
 */
import { createServer } from 'node:http';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
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

/**
 * ListObjects(V2) with a delimiter: s3rver reports a common prefix only for directories that hold
 * an object directly, so `blobs/sha256/` over `blobs/sha256/ab/<hex>/data` listed nothing. This
 * walks its store under the prefix and groups keys as S3 does (sorted, 1,000 a page, continued
 * after the last name given).
 */
async function listWithDelimiter(res, bucket, q) {
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter');
  const max = Math.min(Number(q.get('max-keys') ?? 1000), 1000);
  const after = q.get('continuation-token') ?? q.get('start-after') ?? q.get('marker') ?? '';
  const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  const objects = [];
  const walk = async (dir, rel) => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(dir, e.name), `${rel}${e.name}/`);
      else if (e.name.endsWith('._S3rver_object')) {
        const key = rel + e.name.slice(0, -'._S3rver_object'.length);
        if (key.startsWith(prefix)) objects.push({ key, file: join(dir, e.name) });
      }
    }
  };
  await walk(join(directory, bucket, base), base);
  const names = new Map();
  for (const o of objects) {
    const rest = o.key.slice(prefix.length);
    const cut = rest.indexOf(delimiter);
    names.set(cut >= 0 ? prefix + rest.slice(0, cut + delimiter.length) : o.key, cut >= 0 ? null : o);
  }
  const sorted = [...names.keys()].sort().filter((n) => n > after);
  const page = sorted.slice(0, max);
  const truncated = sorted.length > max;
  const contents = await Promise.all(
    page.filter((n) => names.get(n)).map(async (n) => {
      const info = await stat(names.get(n).file);
      const md5 = await readFile(`${names.get(n).file}.md5`, 'utf8').catch(() => '');
      return `<Contents><Key>${n}</Key><LastModified>${info.mtime.toISOString()}</LastModified><ETag>"${md5.trim()}"</ETag><Size>${info.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    }),
  );
  const prefixes = page.filter((n) => !names.get(n)).map((n) => `<CommonPrefixes><Prefix>${n}</Prefix></CommonPrefixes>`);
  const next = truncated ? `<NextContinuationToken>${page[page.length - 1]}</NextContinuationToken><NextMarker>${page[page.length - 1]}</NextMarker>` : '';
  xml(
    res,
    200,
    `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${prefix}</Prefix><Delimiter>${delimiter}</Delimiter>` +
      `<MaxKeys>${max}</MaxKeys><KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>${next}${contents.join('')}${prefixes.join('')}</ListBucketResult>`,
  );
}

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://s3');
  const [bucket, ...key] = url.pathname.slice(1).split('/');
  const q = url.searchParams;
  const handled =
    req.method === 'PUT' && q.has('uploadId') && req.headers['x-amz-copy-source'] ? uploadPartCopy(req, res, bucket, q)
    : req.method === 'DELETE' && q.has('uploadId') && key.length > 0 ? rm(join(uploadsDir(bucket), q.get('uploadId')), { recursive: true, force: true }).then(() => (res.writeHead(204), res.end()))
    : req.method === 'GET' && q.has('uploads') && key.join('') === '' ? listMultipartUploads(res, bucket)
    : req.method === 'GET' && q.has('delimiter') && key.join('') === '' ? listWithDelimiter(res, bucket, q)
    : null;
  if (handled === null) return s3rverHandler(req, res);
  handled.catch((err) => xml(res, 500, `<Error><Code>InternalError</Code><Message>${String(err)}</Message></Error>`));
});
server.listen(Number(port), '127.0.0.1');
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => server.close(() => process.exit(0)));
