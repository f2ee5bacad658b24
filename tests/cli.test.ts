// The command line's contract: help lists the commands, and a bad option fails with a one-line reason.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/index.ts', ...args], {
    encoding: 'utf8',
  });
}

describe('dpo-workbench CLI', () => {
  it('lists its commands in --help and exits 0', () => {
    const result = cli('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: dpo-workbench/);
    expect(result.stdout).toContain('serve [options]');
  });

  it('reports the device, and explains how to get CUDA when it is asked for and missing', () => {
    const cpu = cli('device', '--device', 'cpu');
    expect([cpu.status, cpu.stdout]).toEqual([0, 'device: cpu\n']);
    const cuda = cli('device', '--device', 'cuda');
    if (cuda.status === 0) expect(cuda.stdout).toBe('device: cuda\n');
    else
      expect(cuda.stderr.trim().split('\n').at(-1)).toMatch(
        /^dpo-workbench: CUDA was requested .*npm run setup:cuda/,
      );
  });

  it('refuses a bad port with a reason naming the option, and a non-zero status', () => {
    const result = cli('serve', '--port', 'eighty');
    expect(result.status).not.toBe(0);
    expect(result.stderr.split('\n')[0]).toBe(
      "error: option '--port <n>' argument 'eighty' is invalid. \"eighty\" is not a port (an integer from 0 to 65535)",
    );
    expect(result.stdout).toBe('');
  });
});
