import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const apiTarget = process.env.HOOKCAST_API_URL ?? 'http://127.0.0.1:3000';

/*
 * Vite's own esbuild JSX transform (no React plugin: the plugin's current
 * release needs a newer Vite). The dev server forwards /api to the API so the
 * console stays same-origin, as when `npm start` serves the build.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  esbuild: { jsx: 'automatic' },
  build: { outDir: fileURLToPath(new URL('../dist/console', import.meta.url)), emptyOutDir: true, chunkSizeWarningLimit: 4000,
    // antd marks its modules "use client" for React Server Components, which a browser bundle ignores.
    rollupOptions: { onwarn: (warning, warn) => (warning.code === 'MODULE_LEVEL_DIRECTIVE' ? undefined : warn(warning)) },
  },
  server: { proxy: { '/api': apiTarget } },
});
