// ESLint 9 flat config (`npm run lint`): the recommended JavaScript and typescript-eslint rules, and for src/
// the two type-checked rules about promises. Tuned only where
// the codebase's deliberate patterns differ; recommended already allows `!` non-null assertions
// and empty blocks that hold a comment (`catch { /* why */ }`).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'target/', 'native/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused names are defects, except ones deliberately ignored with a leading `_`
      // (`_id` parameters, `const { session: _s, ...rest }`).
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_',
        varsIgnorePattern: '^_',
        caughtErrorsIgnorePattern: '^_',
        destructuredArrayIgnorePattern: '^_',
      }],
      // Regexes over indented text read better with the indentation spelt out as spaces.
      'no-regex-spaces': 'off',
    },
  },
  {
    // The library's promises: every chain ends in a handler (or is awaited), so an error of ours can never
    // become an unhandled rejection that kills a week-long campaign. Needs type information: src only, to keep
    // lint fast.
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // Tests read spec JSON, errors and private state as `any`; src and bench keep the rule.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
