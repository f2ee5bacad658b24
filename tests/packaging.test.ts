// electron-builder.yml, checked without building installers (that needs network and each target OS):
// electron-builder's own loader and schema accept it, every OS gets its targets, native code is unpacked
// from the asar archive, the embedded model ships as an extra resource, and the entry points it packages
// are the ones electron-vite writes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import electronConfig from '../electron.config';

const root = path.resolve(import.meta.dirname, '..');
const configFile = path.join(root, 'electron-builder.yml');

interface TargetEntry {
  target: string;
  arch: string[];
}
interface PlatformSection {
  target: TargetEntry[];
  files?: string[];
}
interface BuilderConfig {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  extraResources: Array<{ from: string; to: string }>;
  npmRebuild: boolean;
  directories: { output: string };
  linux: PlatformSection;
  mac: PlatformSection;
  win: PlatformSection;
}

const config = parse(readFileSync(configFile, 'utf8')) as BuilderConfig;
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  main: string;
  scripts: Record<string, string>;
};

/** electron-builder's glob semantics for our patterns: a leading '!' excludes. */
function included(file: string, patterns: string[]): boolean {
  let result = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (path.matchesGlob(file, pattern.slice(1))) result = false;
    } else if (path.matchesGlob(file, pattern)) result = true;
  }
  return result;
}

function filesUnder(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

const onnxPlatformDir = { linux: 'linux', mac: 'darwin', win: 'win32' } as const;

describe('electron-builder.yml', () => {
  it('is accepted by electron-builder, which rejects a misspelled option', async () => {
    const loaded = await getConfig(root, configFile, null);
    await expect(validateConfiguration(loaded, new DebugLogger(false))).resolves.toBeUndefined();
    await expect(
      validateConfiguration({ ...loaded, asarUnpak: ['x'] } as typeof loaded, new DebugLogger(false)),
    ).rejects.toThrow(/asarUnpak/);
  });

  it('names the app and builds AppImage + deb, dmg and nsis', () => {
    expect(config.appId).toMatch(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/);
    expect(config.productName).toBe('DPO Workbench');
    const targets = (section: PlatformSection) => section.target.map((t) => t.target).sort();
    expect(targets(config.linux)).toEqual(['AppImage', 'deb']);
    expect(targets(config.mac)).toEqual(['dmg']);
    expect(targets(config.win)).toEqual(['nsis']);
    expect(manifest.scripts.dist).toContain('electron-builder');
  });

  it('packages the entry points electron-vite writes, and the migrations the store applies', () => {
    const mainInput = electronConfig.main?.build?.rollupOptions?.input as Record<string, string>;
    const mainOut = electronConfig.main?.build?.outDir;
    expect(Object.keys(mainInput)).toEqual(
      expect.arrayContaining([
        'main',
        'session-worker',
        'train-worker',
        'data-worker',
        'decoder-build-worker',
      ]),
    );
    expect(manifest.main).toBe(`${mainOut}/main.js`);
    for (const built of [
      manifest.main,
      `${mainOut}/session-worker.js`,
      `${mainOut}/train-worker.js`,
      `${mainOut}/data-worker.js`,
      `${mainOut}/decoder-build-worker.js`,
      'out/preload/preload.cjs',
      'out/renderer/index.html',
    ]) {
      expect(included(built, config.files), built).toBe(true);
    }
    const mainSource = readFileSync(path.join(root, 'src-main/main.ts'), 'utf8');
    expect(mainSource).toContain("'../preload/preload.cjs'");
    expect(mainSource).toContain("'../renderer/index.html'");
    for (const sql of readdirSync(path.join(root, 'migrations'))) {
      expect(included(`migrations/${sql}`, config.files), sql).toBe(true);
    }
    expect(included('src-main/main.ts', config.files)).toBe(false);
    expect(included('tests/packaging.test.ts', config.files)).toBe(false);
  });

  it('unpacks every native addon and onnxruntime library from the archive and rebuilds for Electron', () => {
    expect(config.npmRebuild).toBe(true);
    const native = [
      ...filesUnder('node_modules/better-sqlite3'),
      ...filesUnder('node_modules/onnxruntime-node'),
    ]
      .filter((file) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(file))
      .filter((file) => !file.includes('/deps/') && !file.includes('/src/'));
    expect(native.some((file) => file.endsWith('onnxruntime_binding.node'))).toBe(true);
    expect(native.some((file) => file.includes('libonnxruntime.so'))).toBe(true);
    for (const file of native) expect(included(file, config.asarUnpack), file).toBe(true);
    expect(included('out/main/main.js', config.asarUnpack)).toBe(false);
  });

  it('keeps, per OS, the onnxruntime binaries of each target arch and drops the other platforms', () => {
    for (const os of ['linux', 'mac', 'win'] as const) {
      const section = config[os];
      const patterns = ['node_modules/**', ...(section.files ?? [])];
      for (const arch of new Set(section.target.flatMap((t) => t.arch))) {
        const binding = `node_modules/onnxruntime-node/bin/napi-v6/${onnxPlatformDir[os]}/${arch}/onnxruntime_binding.node`;
        expect(existsSync(path.join(root, binding)), binding).toBe(true);
        expect(included(binding, patterns), binding).toBe(true);
      }
      for (const other of Object.values(onnxPlatformDir).filter((dir) => dir !== onnxPlatformDir[os])) {
        const foreign = `node_modules/onnxruntime-node/bin/napi-v6/${other}/x64/onnxruntime_binding.node`;
        expect(included(foreign, patterns), `${os} ships ${foreign}`).toBe(false);
      }
    }
  });

  it('ships the embedded tiny model beside the archive', () => {
    const model = config.extraResources.find((entry) => entry.from === 'resources/tiny-model');
    expect(model?.to).toBe('tiny-model');
    for (const entry of config.extraResources) {
      expect(existsSync(path.join(root, entry.from)), entry.from).toBe(true);
    }
    expect(config.directories.output).toBe('dist');
  });
});
