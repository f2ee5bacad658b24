// Builds the renderer (src-renderer) as a static web app in dist-web/, served by browser mode and loaded by Electron.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('./src-renderer'),
  base: './',
  plugins: [svelte()],
  build: {
    outDir: here('./dist-web'),
    emptyOutDir: true,
  },
});
