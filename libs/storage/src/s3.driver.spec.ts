import { CreateBucketCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { requireService } from '@wharf/testing';
import { S3Driver } from './s3.driver';
import { describeStorageDriver } from './testing/driver-suite';

const endpoint = requireService('WHARF_TEST_S3_ENDPOINT', 'an S3 server (moto)');
const bucket = `driver-suite-${process.pid}`;
const client = new S3Client({
  region: 'us-east-1',
  endpoint: endpoint ?? 'http://127.0.0.1:1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

(endpoint ? describeStorageDriver : () => undefined)('s3 (moto)', {
  make: async () => {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return new S3Driver({ client, bucket, prefix: 'wharf/' });
  },
  redirects: true,
  rawListing: async (root) => {
    const objects = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `wharf${root}/` }));
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return [...(objects.Contents ?? []).map((o) => o.Key as string), ...(uploads.Uploads ?? []).map((u) => `multipart:${u.Key}`)];
  },
});
