export * from './gc.dto';
export * from './gc.controller';
export * from './gc.module';
