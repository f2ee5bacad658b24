// `npm start`: opens the desktop window. Electron fetches its binary on first start, and better-sqlite3
// needs a build for Electron's ABI (kept apart from the Node build that the CLI and tests use). When the
// binary cannot be had, this says so plainly and points to browser mode instead of failing with a trace.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

function ensureElectron() {
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
  fail(
    `The desktop window needs the Electron binary, and it could not be downloaded (${reason}).\n` +
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

const electron = ensureElectron();
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
