// Finds the installed project's root folder (where package.json, dist-web and resources live), from
// source under tsx as well as from the electron-vite bundle in out/main.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function findProjectRoot(startDir = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = startDir; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'dpo-workbench')
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`cannot find the dpo-workbench folder above ${startDir}`);
  }
}

export function appVersion(root = findProjectRoot()): string {
  return String(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version);
}
