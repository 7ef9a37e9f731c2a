import nx from '@nx/eslint-plugin';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/coverage', '**/*.cjs', '**/*.mjs', 'bench/**', 'scripts/**'],
  },
  {
    files: ['**/*.ts'],
    rules: {
      // Apps never import apps, `contracts` imports no I/O, infrastructure does not reach into apps.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:contracts', 'type:infra'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts', 'type:infra'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:infra', 'type:testing'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:contracts', 'type:infra', 'type:testing'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:shared', 'scope:gateway'] },
            { sourceTag: 'scope:jobs', onlyDependOnLibsWithTags: ['scope:shared', 'scope:jobs'] },
            { sourceTag: 'scope:videos', onlyDependOnLibsWithTags: ['scope:shared', 'scope:videos'] },
            { sourceTag: 'scope:files', onlyDependOnLibsWithTags: ['scope:shared', 'scope:files'] },
            { sourceTag: 'scope:users', onlyDependOnLibsWithTags: ['scope:shared', 'scope:users'] },
            { sourceTag: 'scope:render', onlyDependOnLibsWithTags: ['scope:shared', 'scope:render'] },
            { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:deploy', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
      // Libs are used through their public entry point only.
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@vgp/*/*'], message: 'Import a lib through its entry point (@vgp/<lib>).' }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      // DTO and config properties keep their type annotation: decorator metadata (design:type) needs it.
      '@typescript-eslint/no-inferrable-types': ['error', { ignoreProperties: true, ignoreParameters: true }],
    },
  },
  {
    // Configuration is read from the environment in one place only.
    files: ['**/*.ts'],
    ignores: ['libs/config/**', '**/*.spec.ts', '**/*.int-spec.ts', 'libs/testing/**', 'e2e/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through @vgp/config.' },
      ],
    },
  },
];
