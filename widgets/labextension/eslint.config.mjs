// Type-aware lint for the extension's TypeScript (make lint): floating promises are the bug to catch here.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/**', 'node_modules/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['test/*.ts'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Lumino signals bind the slot to the thisArg given to connect(): that is how JupyterLab code reads.
      '@typescript-eslint/unbound-method': 'off',
      'prefer-const': 'error'
    }
  },
  { files: ['eslint.config.mjs'], ...tseslint.configs.disableTypeChecked }
);
