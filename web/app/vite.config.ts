// Builds web/app into web/dist/app, served by the binary at /app (src/api/web_app_routes.cc).
// No inline scripts or styles, no eval and no modulepreload polyfill (an inline helper), so the page
// runs under the server's strict Content-Security-Policy.
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'app',  // relative to web/, where npm runs
  base: '/app/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: '../dist/app',  // relative to root: web/dist/app
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
  logLevel: 'warn',
});
