/**
 * One Jest run over the whole workspace (unit, integration, e2e). TypeScript is transformed by
 * SWC (no type-check here: `npm run typecheck` does that). `scripts/test-runner.mjs` starts the
 * servers the integration and e2e specs need and exports their addresses.
 */
const { readFileSync } = require('node:fs');
const tsconfig = JSON.parse(readFileSync(`${__dirname}/tsconfig.base.json`, 'utf8'));
const swcrc = JSON.parse(readFileSync(`${__dirname}/.swcrc`, 'utf8'));

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(tsconfig.compilerOptions.paths)) {
  moduleNameMapper[`^${alias.replace('/', '\\/')}$`] = `<rootDir>/${target.replace(/^\.\//, '')}`;
}

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/e2e/**/*.e2e.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  moduleNameMapper,
  testTimeout: 120_000,
  slowTestThreshold: 30,
};
