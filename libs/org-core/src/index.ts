export * from './ports';
export * from './organization.service';
export * from './repository.service';
export * from './account-admin.service';
