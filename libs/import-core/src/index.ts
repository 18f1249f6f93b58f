export * from './import-errors';
export * from './tar-reader';
export * from './archive-scan';
export * from './import-plan';
export * from './ports';
export * from './image-importer';
export * from './import.service';
export * from './storage-archive.store';
