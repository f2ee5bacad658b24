// `npm start`: opens the desktop window. Electron fetches its binary on first start, and better-sqlite3
// needs a build for Electron's ABI (kept apart from the Node build that the CLI and tests use). When the
// binary cannot be had, this says so plainly and points to browser mode instead of failing with a trace.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  console.error(`\n${message}\n`);
  process.exit(1);
}

/** The binary Electron's own index.js would run, found without its download-on-require side effect. */
function electronBinary() {
  const electronDir = path.join(root, 'node_modules/electron');
  const pathFile = path.join(electronDir, 'path.txt');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH)
    return path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, 'electron');
  return existsSync(pathFile) ? path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8')) : null;
}

/**
 * The folder @electron/get looks in for the release zip before downloading it: its cache root (the
 * electron_config_cache variable, else ~/.cache/electron) and a folder named by the sha256 of the zip's
 * download address; the root alone when that cannot be worked out.
 */
async function cacheFolderOf(version, zip) {
  const cacheRoot = process.env.electron_config_cache ?? path.join(homedir(), '.cache', 'electron');
  try {
    const electronDir = path.join(root, 'node_modules/electron');
    const getDir = path.dirname(createRequire(path.join(electronDir, 'index.js')).resolve('@electron/get'));
    const { getArtifactRemoteURL } = await import(pathToFileURL(path.join(getDir, 'artifact-utils.js')).href);
    const { Cache } = await import(pathToFileURL(path.join(getDir, 'Cache.js')).href);
    const details = { version, artifactName: 'electron', platform: process.platform, arch: process.arch };
    const url = await getArtifactRemoteURL(details);
    return path.dirname(new Cache(cacheRoot).getCachePath(url, zip));
  } catch {
    return cacheRoot;
  }
}

async function ensureElectron() {
  let binary = electronBinary();
  if (binary && existsSync(binary)) return binary;
  console.log('Fetching the Electron binary (first start only)...');
  const install = spawnSync(process.execPath, [path.join(root, 'node_modules/electron/install.js')], {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  binary = electronBinary();
  if (binary && existsSync(binary)) return binary;
  // The installer's own output is a stack trace; its first error line is the reason worth showing.
  const reason =
    (install.stderr ?? '')
      .split('\n')
      .find((line) => /error/i.test(line))
      ?.trim() ?? 'unknown reason';
  const version = JSON.parse(
    readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8'),
  ).version;
  const zip = `electron-v${version}-${process.platform}-${process.arch}.zip`;
  const cache = await cacheFolderOf(version, zip);
  fail(
    `The desktop window needs the Electron binary, and it could not be downloaded (${reason}).\n` +
      'If Electron is already on this machine, use it instead of a download:\n' +
      `  - an unpacked Electron ${version} folder: ELECTRON_OVERRIDE_DIST_PATH=/path/to/that/folder npm start\n` +
      `  - or its release zip, ${zip}, copied into ${cache}/ (the cache the installer looks in first), then npm start\n` +
      'Browser mode runs the same workbench without it: npm run web (then open the printed address).',
  );
}

function run(command, args, cwd) {
  return spawnSync(command, args, { cwd, stdio: 'inherit' }).status === 0;
}

/** Builds better_sqlite3.node for Electron in a scratch copy and keeps it under .electron-native/. */
function ensureSqliteForElectron() {
  const electronVersion = JSON.parse(
    readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8'),
  ).version;
  const target = path.join(root, '.electron-native', `electron-${electronVersion}`, 'better_sqlite3.node');
  if (existsSync(target)) return target;
  console.log(`Building better-sqlite3 for Electron ${electronVersion} (first start only)...`);
  const scratch = mkdtempSync(path.join(tmpdir(), 'dpo-sqlite-'));
  try {
    cpSync(path.join(root, 'node_modules/better-sqlite3'), scratch, { recursive: true });
    const prebuilt = run(
      process.execPath,
      [
        path.join(root, 'node_modules/prebuild-install/bin.js'),
        '--runtime',
        'electron',
        '--target',
        electronVersion,
      ],
      scratch,
    );
    const nodeGyp = process.env.npm_config_node_gyp;
    const built =
      prebuilt ||
      (nodeGyp &&
        run(
          process.execPath,
          [
            nodeGyp,
            'rebuild',
            '--release',
            `--target=${electronVersion}`,
            '--runtime=electron',
            '--dist-url=https://electronjs.org/headers',
          ],
          scratch,
        ));
    const binary = path.join(scratch, 'build/Release/better_sqlite3.node');
    if (!built || !existsSync(binary)) {
      fail(
        `better-sqlite3 could not be built for Electron ${electronVersion}. Browser mode works without it: npm run web`,
      );
    }
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(binary, target);
    return target;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const electron = await ensureElectron();
const sqliteBinding = ensureSqliteForElectron();
if (
  !run(
    process.execPath,
    [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '-c', 'electron.config.ts'],
    root,
  )
) {
  fail('The desktop build failed (see above).');
}
const child = spawn(electron, [root], {
  stdio: 'inherit',
  env: { ...process.env, DPO_WORKBENCH_SQLITE_BINDING: sqliteBinding },
});
child.on('exit', (code) => process.exit(code ?? 0));
