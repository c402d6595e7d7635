// Lint for defects, not for style: typescript-eslint's recommended set. Its type-aware rules
// (no-floating-promises and the like) need the whole type program: about 30 s of CPU here and
// two minutes of wall clock on the shared two-core machine, so `tsc` stays the type gate.
// Layer boundaries and import circles are dependency-cruiser's job (.dependency-cruiser.cjs).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['node_modules/**', 'cdk.out/**', 'dist/**', '.data/**', 'coverage/**']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // A leading underscore is this codebase's mark for a deliberately unused binding (rest-omit destructuring, fixed signatures).
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true,
      }],
    },
  },
  {
    // Tests read untyped JSON answers and reach into private shapes on purpose; `any` there is not a hole in production types.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  // A disable comment that no longer suppresses anything is a stale comment.
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
);
