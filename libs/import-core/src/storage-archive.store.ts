import type { Readable } from 'node:stream';
import { PathNotFoundError, StorageDriver } from '@wharf/storage-api';
import type { ArchiveStore } from './ports';

/**
 * Uploaded archives in the blob storage, one file each, `/imports/<upload id>/data`, from the
 * moment they have fully arrived (a write is all or nothing) until the worker is done with them.
 */
export class StorageArchiveStore implements ArchiveStore {
  constructor(private readonly storage: StorageDriver) {}

  write(id: string, body: Readable): Promise<number> {
    return this.storage.write(`/imports/${id}/data`, body);
  }

  open(id: string, range?: { offset: number; length: number }): Promise<Readable> {
    return this.storage.reader(`/imports/${id}/data`, range?.offset, range?.length);
  }

  async remove(id: string): Promise<void> {
    await this.storage.delete(`/imports/${id}`).catch((err) => {
      if (!(err instanceof PathNotFoundError)) throw err;
    });
  }
}
