export * from './ports';
export * from './gc-run.service';
export * from './retention.ports';
export * from './retention.service';
