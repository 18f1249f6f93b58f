export * from './import.dto';
export * from './multipart-upload';
export * from './org-import.access';
export * from './uploads.controller';
export * from './import.module';
