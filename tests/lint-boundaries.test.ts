// The layer rules of ARCHITECTURE.md are enforced by ESLint: these cases must be reported, and allowed
// imports must not be.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    [
      'src-main/engine/graph-x.ts',
      "import { openDatabase } from '../store/open-database';\nvoid openDatabase;\n",
    ],
    [
      'src-main/engine/graph-x.ts',
      "import type { Choice } from '../../src-shared/schemas';\nexport type X = Choice;\n",
    ],
    [
      'src-main/store/repo-x.ts',
      "import { createServices } from '../services/workbench-services';\nvoid createServices;\n",
    ],
    ['src-main/services/x.ts', "import { app } from 'electron';\nvoid app;\n"],
    ['src-renderer/src/x.ts', "import { readFileSync } from 'node:fs';\nvoid readFileSync;\n"],
    [
      'src-renderer/src/x.ts',
      "import { EventBus } from '../../src-main/services/event-bus';\nvoid EventBus;\n",
    ],
    ['src-shared/x.ts', "import { join } from 'node:path';\nvoid join;\n"],
  ])('reports %s importing across a boundary', async (filePath, code) => {
    expect(await restrictedImports(filePath, code)).toHaveLength(1);
  });

  it.each([
    [
      'src-main/services/x.ts',
      "import { openDatabase } from '../store/open-database';\nvoid openDatabase;\n",
    ],
    ['src-main/transport/x.ts', "import { ipcMain } from 'electron';\nvoid ipcMain;\n"],
    ['src-renderer/src/x.ts', "import { apiContract } from '../../src-shared/api';\nvoid apiContract;\n"],
  ])('allows %s', async (filePath, code) => {
    expect(await restrictedImports(filePath, code)).toEqual([]);
  });
});
