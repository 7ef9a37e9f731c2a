// Shared jest settings: ESM through SWC (with decorator metadata for NestJS), UTC clock,
// `.js` import suffixes mapped back to the TypeScript sources, workspace libs from source.
const path = require('node:path');
process.env.TZ = 'UTC';
module.exports = function preset(projectDir, overrides = {}) {
  return {
    rootDir: projectDir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts'],
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: {
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
            target: 'es2022',
            keepClassNames: true,
          },
          module: { type: 'es6' },
          sourceMaps: 'inline',
        },
      ],
    },
    moduleNameMapper: {
      '^@vgp/([a-z-]+)$': path.join(__dirname, 'libs/$1/src/index.ts'),
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    setupFiles: [path.join(__dirname, 'jest.setup.cjs')],
    testTimeout: 30000,
    passWithNoTests: true,
    // A suite that failed in beforeAll must not hold CI open on a half-started app's sockets.
    forceExit: true,
    ...overrides,
  };
};
