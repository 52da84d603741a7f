/**
 * The portal's build: `vite build --config web/vite.config.ts` from the repository root writes
 * dist/web/, which the server serves at `/`. The server's CSP is script-src 'self', style-src
 * 'self', img-src 'self' data:, so nothing may be inlined into index.html: no module-preload
 * polyfill, and scripts and styles always go to files.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    // Images may be data: URLs (img-src allows them); scripts and styles never are.
    assetsInlineLimit: (file) => (file.endsWith('.svg') || file.endsWith('.png') ? undefined : false),
    sourcemap: true,
    reportCompressedSize: false,
  },
});
