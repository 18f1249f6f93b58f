import { S3Client } from '@aws-sdk/client-s3';
import { join, resolve } from 'node:path';
import type { WharfConfig } from '@wharf/config';
import { FilesystemDriver } from './filesystem.driver';
import { S3Driver } from './s3.driver';
import { StorageDriver } from '@wharf/storage-api';

/** Builds the configured driver: S3 when `config.storage` is `s3`, else files under `<dataDir>/blobs`. */
export function createStorageDriver(config: Pick<WharfConfig, 'storage' | 's3' | 'dataDir' | 'fsFsync' | 'fsDirectIo'>): StorageDriver {
  if (config.storage === 's3' && config.s3) {
    const s3 = config.s3;
    const client = new S3Client({
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: s3.forcePathStyle,
      credentials:
        s3.accessKeyId && s3.secretAccessKey ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return new S3Driver({ client, bucket: s3.bucket, prefix: s3.prefix });
  }
  return new FilesystemDriver({ rootDirectory: join(resolve(config.dataDir), 'blobs'), fsync: config.fsFsync, directIo: config.fsDirectIo });
}
