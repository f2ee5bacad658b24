// Installs onnxruntime's CUDA execution provider next to onnxruntime-node's native library (Linux x64).
// It packs com.github.asus4.onnxruntime.linux-x64-gpu (the GPU build of the same onnxruntime) with npm,
// extracts it and copies Plugins/Linux/x64/libonnxruntime_providers_*.so beside libonnxruntime.so.1.
// Needs CUDA 13 and cuDNN 9 installed on the machine at run time.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const PACKAGE = 'com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9';

function fail(message) {
  console.error(`setup:cuda: ${message}`);
  process.exit(1);
}

if (process.platform !== 'linux' || process.arch !== 'x64')
  fail(`only Linux x64 is supported, not ${process.platform}-${process.arch}`);

const ortMain = createRequire(import.meta.url).resolve('onnxruntime-node');
const nativeDir = join(dirname(ortMain), '..', 'bin', 'napi-v6', 'linux', 'x64');
if (!existsSync(join(nativeDir, 'libonnxruntime.so.1')))
  fail(`libonnxruntime.so.1 not found in ${nativeDir}; run npm install first`);

const work = mkdtempSync(join(tmpdir(), 'setup-cuda-'));
try {
  let tarball;
  try {
    tarball = execFileSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', work], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop();
  } catch (error) {
    fail(`npm pack ${PACKAGE} failed (is the npm registry reachable?): ${error.message}`);
  }
  execFileSync('tar', ['-xzf', join(work, tarball), '-C', work]);
  const pluginDir = join(work, 'package', 'Plugins', 'Linux', 'x64');
  if (!existsSync(pluginDir)) fail(`${PACKAGE} has no Plugins/Linux/x64 folder`);
  const providers = readdirSync(pluginDir).filter((f) => /^libonnxruntime_providers_.*\.so$/.test(f));
  if (providers.length === 0) fail(`${PACKAGE} holds no libonnxruntime_providers_*.so`);
  for (const file of providers) {
    copyFileSync(join(pluginDir, file), join(nativeDir, file));
    console.log(`setup:cuda: installed ${file} -> ${nativeDir}`);
  }
  console.log('setup:cuda: done. The CUDA provider needs CUDA 13 and cuDNN 9 libraries on the library path.');
} finally {
  rmSync(work, { recursive: true, force: true });
}
