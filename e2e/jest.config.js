import preset from '../jest.preset.cjs';

export default preset(import.meta.dirname, {
  displayName: 'e2e',
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  testTimeout: 120000,
});
