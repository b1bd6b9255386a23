// ESLint: typescript-eslint's type-aware recommended rules over the sources, scripts, benchmark and tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Tests are typed by test/tsconfig.json; root config files outside both projects use the main options.
        projectService: { allowDefaultProject: ['*.config.ts'], defaultProject: 'tsconfig.json' },
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    rules: {
      // async on an interface's implementation keeps a throw a rejection, and fastify tells async hooks apart by it.
      '@typescript-eslint/require-await': 'off',
      // The control-character regexes are the point: they keep control characters out of names, subjects and errors.
      'no-control-regex': 'off',
      // `{}` is `unknown` narrowed by a truthiness or nullish check, which the rule already lets pass.
      '@typescript-eslint/no-base-to-string': ['error', { ignoredTypeNames: ['Error', 'RegExp', 'URL', 'URLSearchParams', '{}'] }],
      // `_name` is a parameter an interface requires; a rest sibling drops a key from a copy.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // These tests break a raw DDL tree on purpose, one deep path at a time: the tree is untyped JSON by design.
    files: ['test/unit/ddl/fixture.ts', 'test/unit/ddl/parse.test.ts', 'test/unit/ddl/inputs.test.ts', 'test/unit/ddl/aggregate.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-unsafe-member-access': 'off' },
  },
  {
    // The web console runs in the browser with its own tsconfig; it renders every value as text, never as markup.
    files: ['src/web/app/**/*.ts', 'src/web/app/**/*.tsx'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['innerHTML', 'outerHTML', 'insertAdjacentHTML'].map((property) => ({ property, message: 'Render values as text.' })),
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'Render values as text.' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
