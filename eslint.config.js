// Lint: type-aware rules that catch what tsc does not (a promise nobody awaits), and the layer
// rule that keeps lower layers from importing the HTTP surface.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', '.tools/**', 'deploy/**', 'test/histories/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    // Layers (DESIGN.md §2): nothing below api/ imports from it.
    files: ['activities/**', 'workflows/**', 'db/**', 'lib/**', 'worker/**', 'cloud/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/api/*', '**/api'], message: 'api/ is the top layer: move what both need to lib/ or a lower layer.' }] }],
    },
  },
);
