// Lint: line length (aws-cdk's rule: 150, long strings and URLs exempt) and control characters in regexes everywhere;
// on the library a docstring on every exported member and an @default on every optional prop. Run by `npm run lint`
// and .ci/run.
import jsdoc from 'eslint-plugin-jsdoc';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['build/**', 'dist/**', 'node_modules/**', 'imports/**', 'coverage/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      'no-control-regex': 'error',
      'max-len': ['error', { code: 150, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreComments: false }],
    },
  },
  {
    files: ['lib/**/*.ts'],
    plugins: { jsdoc },
    settings: { jsdoc: { mode: 'typescript' } },
    rules: {
      'jsdoc/require-jsdoc': ['error', {
        publicOnly: { esm: true },
        require: { ClassDeclaration: true, FunctionDeclaration: true, MethodDefinition: true },
        contexts: [
          'TSInterfaceDeclaration',
          'TSTypeAliasDeclaration',
          'TSEnumDeclaration',
          'TSPropertySignature',
          'TSMethodSignature',
          'PropertyDefinition[accessibility!="private"][accessibility!="protected"]',
        ],
        checkConstructors: false,
        checkGetters: true,
        checkSetters: true,
      }],
      // Every optional prop says what its absence means (jsdoc contexts match the property node itself, so this
      // covers every interface in lib/, exported or not).
      'jsdoc/no-restricted-syntax': ['error', {
        contexts: [{
          context: 'TSPropertySignature[optional=true]',
          comment: 'JsdocBlock:not(:has(JsdocTag[tag=default]))',
          message: 'An optional prop documents its default with @default',
        }],
      }],
    },
  },
);
