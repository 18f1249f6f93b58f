export * from './ports';
export * from './organization.service';
