// `dpo-workbench device`: where the engine runs on this machine (CUDA or CPU) and why.
import type { Command } from 'commander';
import { DeviceRequest } from '../../src-shared/schemas';
import { probeDevice } from '../services/models/device-probe';
import { parseChoice } from './parse-options';

export function registerDevice(program: Command): void {
  program
    .command('device')
    .description('report where the engine runs (CUDA when its provider loads, else the CPU) and why')
    .option('--device <device>', 'auto | cpu | cuda', parseChoice('--device', DeviceRequest.options), 'auto')
    .action(async (options: { device: DeviceRequest }) => {
      const info = await probeDevice(options.device);
      console.log(`device: ${info.device}`);
      if (info.reason) console.log(`reason: ${info.reason}`);
    });
}
