// Shared setup for contract suites that need a real checkpoint on disk: a fresh workbench (without the
// embedded model) in a temporary data folder, the llama checkpoint fixture, and a transport to it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { writeCheckpointFixture } from '../../src-main/generate/checkpoint-fixture';
import { openWorkbench, type Workbench } from '../../src-main/services/open-workbench';
import type { TestTransport } from './transports';

export interface CheckpointWorkbench {
  dataDir: string;
  modelDir: string;
  workbench: Workbench;
  transport: TestTransport;
}

/**
 * Registers beforeEach/afterEach hooks in the calling describe block; the returned object's fields are
 * filled anew before each test and their folders removed after it.
 */
export function useCheckpointWorkbench(
  tmpPrefix: string,
  makeTransport: (wb: Workbench) => TestTransport | Promise<TestTransport>,
): CheckpointWorkbench {
  const ctx = {} as CheckpointWorkbench;
  beforeEach(async () => {
    ctx.dataDir = mkdtempSync(path.join(tmpdir(), tmpPrefix));
    ctx.modelDir = writeCheckpointFixture();
    ctx.workbench = openWorkbench({ dataDir: ctx.dataDir, transport: 'http', registerEmbeddedModel: false });
    ctx.transport = await makeTransport(ctx.workbench);
  });
  afterEach(async () => {
    await ctx.transport.close();
    ctx.workbench.close();
    rmSync(ctx.dataDir, { recursive: true, force: true });
    rmSync(ctx.modelDir, { recursive: true, force: true });
  });
  return ctx;
}
