// Jest transform: TypeScript to CommonJS with esbuild (already needed by tsx). Type-checking is `npm run typecheck`.
// esbuild is used instead of @swc/jest or ts-jest because its platform binaries install with `npm ci` on every machine
// this project runs on, and it transpiles a test file in milliseconds.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const out = transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      target: 'es2022',
      sourcemap: 'inline',
      sourcefile: filename,
    });
    return { code: out.code };
  },
};
