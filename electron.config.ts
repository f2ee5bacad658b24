// electron-vite build of the desktop app: main process, sandboxed preload (CommonJS), and the Svelte renderer.
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          main: resolve(import.meta.dirname, 'src-main/main.ts'),
          // The onnxruntime worker thread: SessionWorker loads ./session-worker.js beside the main bundle.
          'session-worker': resolve(import.meta.dirname, 'src-main/runtime/session-worker.ts'),
          // The training worker thread: train-worker-client.ts loads ./train-worker.js beside the main bundle.
          'train-worker': resolve(import.meta.dirname, 'src-main/services/train/train-worker.ts'),
          // The decoder build worker: decoder-build-client.ts loads ./decoder-build-worker.js beside the main bundle.
          'decoder-build-worker': resolve(import.meta.dirname, 'src-main/generate/decoder-build-worker.ts'),
          // The data worker: data-in-worker.ts loads ./data-worker.js beside the main bundle.
          'data-worker': resolve(import.meta.dirname, 'src-main/services/import/data-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot load modules: everything it needs is bundled into one CommonJS file.
      externalizeDeps: false,
      isolatedEntries: true,
      rollupOptions: {
        input: { preload: resolve(import.meta.dirname, 'src-main/preload/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    plugins: [svelte()],
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'src-renderer/index.html') } },
    },
  },
});
