import { CreateBucketCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { requireService } from '@wharf/testing';
import { S3Driver } from './s3.driver';
import { describeStorageDriver } from './testing/driver-suite';

const endpoint = requireService('WHARF_TEST_S3_ENDPOINT', 'an S3 server');
const bucket = `driver-suite-${process.pid}`;
const clientFor = (url: string | undefined) =>
  new S3Client({
    region: 'us-east-1',
    endpoint: url ?? 'http://127.0.0.1:1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
const client = clientFor(endpoint);

/**
 * The shared contract on every S3 server the runner started: s3rver (with the calls
 * scripts/s3-test-server.mjs adds) everywhere, and moto as well where python3 has it.
 */
const servers: [string, string | undefined][] = [['s3rver', endpoint]];
if (process.env['WHARF_TEST_S3_MOTO_ENDPOINT']) servers.push(['moto', process.env['WHARF_TEST_S3_MOTO_ENDPOINT']]);
for (const [name, url] of servers) {
  const c = clientFor(url);
  (url ? describeStorageDriver : () => undefined)(`s3 (${name})`, {
    make: async () => {
      await c.send(new CreateBucketCommand({ Bucket: bucket }));
      return new S3Driver({ client: c, bucket, prefix: 'wharf/' });
    },
    redirects: true,
    rawListing: async (root) => {
      const objects = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `wharf${root}/` }));
      const uploads = await c.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      return [...(objects.Contents ?? []).map((o) => o.Key as string), ...(uploads.Uploads ?? []).map((u) => `multipart:${u.Key}`)];
    },
  });
}

(endpoint ? describe : describe.skip)('S3 driver: multipart only where it pays', () => {
  it('puts a tiny blob in one PutObject and streams a large one as a multipart upload', async () => {
    const calls: string[] = [];
    // Only the commands that move data matter here (replacing writes also list stale segments).
    const sent = { get uploads() { return calls.filter((c) => /Put|Multipart|UploadPart/.test(c)); } };
    const recording = Object.create(client) as S3Client;
    recording.send = ((command: { constructor: { name: string } }) => {
      calls.push(command.constructor.name);
      return client.send(command as never);
    }) as S3Client['send'];
    const bucketName = `${bucket}-mp`;
    await client.send(new CreateBucketCommand({ Bucket: bucketName }));
    const d = new S3Driver({ client: recording, bucket: bucketName, prefix: '', partSize: 5 * 1024 * 1024 });
    await d.putContent('/tiny', Buffer.from('x'));
    expect(sent.uploads).toEqual(['PutObjectCommand']);
    calls.length = 0;
    await d.write('/large', Readable.from([Buffer.alloc(6 * 1024 * 1024, 1), Buffer.alloc(5 * 1024 * 1024, 2)]));
    expect(sent.uploads).toEqual(['CreateMultipartUploadCommand', 'UploadPartCommand', 'UploadPartCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand']);
    expect((await d.stat('/large'))?.size).toBe(11 * 1024 * 1024);
  });
});
