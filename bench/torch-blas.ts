// Which BLAS the PyTorch reference really runs on. Debian's torch links the generic libblas.so.3, which is
// the netlib reference BLAS (about 20 times slower) unless an optimized one provides it: the benches put
// OpenBLAS (pthread build, package libopenblas0-pthread) first on the library path, then ask torch which
// BLAS libraries it mapped after a matmul, and refuse to compare against netlib.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

const PROBE = `
import json, torch
torch.ones(256, 256) @ torch.ones(256, 256)
with open('/proc/self/maps') as maps:
    libs = sorted({l.split()[-1] for l in maps if 'blas' in l.lower() or 'mkl' in l.lower()})
print(json.dumps({'torch': torch.__version__, 'libs': libs, 'mkldnn': torch.backends.mkldnn.is_available()}))
`;

export interface TorchBlas {
  /** The environment to start torch with (OpenBLAS first on LD_LIBRARY_PATH when installed). */
  env: NodeJS.ProcessEnv;
  /** 'openblas', 'mkl', or what else was mapped. */
  kind: string;
  libs: string[];
  /** One line for the bench's output. */
  line: string;
}

/** Probes torch's BLAS; throws with the fix when only the netlib reference BLAS is there. */
export function torchBlas(python = '/usr/bin/python3'): TorchBlas {
  const env = { ...process.env };
  if (existsSync(OPENBLAS)) env.LD_LIBRARY_PATH = [OPENBLAS, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const probe = JSON.parse(execFileSync(python, ['-c', PROBE], { env, encoding: 'utf8' }).trim()) as {
    torch: string;
    libs: string[];
    mkldnn: boolean;
  };
  const kind = probe.libs.some((l) => /openblas/i.test(l))
    ? 'openblas'
    : probe.libs.some((l) => /mkl/i.test(l))
      ? 'mkl'
      : probe.libs.length > 0
        ? 'netlib'
        : 'none found';
  if (kind === 'netlib' || kind === 'none found')
    throw new Error(
      `torch ${probe.torch} runs on the reference BLAS (${probe.libs.join(', ') || 'no BLAS mapped'}), ` +
        'about 20 times slower than an optimized one: install OpenBLAS (apt-get install libopenblas0-pthread) ' +
        'and run the bench again',
    );
  return {
    env,
    kind,
    libs: probe.libs,
    line: `torch ${probe.torch}, BLAS: ${kind} (${probe.libs.join(', ')}), oneDNN ${probe.mkldnn ? 'available' : 'absent'}`,
  };
}
