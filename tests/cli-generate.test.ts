// `dpo-workbench generate` end to end on a fixture checkpoint with a tokenizer: .txt, .jsonl (text and chat
// messages) and .csv prompt lists in, one JSON row per candidate out, the same rows for the same seed;
// bad files and flags fail with one line naming the file and line or the flag.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeCheckpointFixture } from '../src-main/generate/checkpoint-fixture';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/index.ts', ...args], { encoding: 'utf8' });

const work = mkdtempSync(path.join(tmpdir(), 'dpo-cli-generate-'));
const model = writeCheckpointFixture();
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(model, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const target = path.join(work, name);
  writeFileSync(target, content);
  return target;
}

const generate = (prompts: string, out: string, ...extra: string[]) =>
  cli(
    'generate',
    '--model',
    model,
    '--prompts',
    prompts,
    '--n',
    '2',
    '--max-new-tokens',
    '5',
    '--out',
    out,
    ...extra,
  );

const rows = (out: string) =>
  readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('dpo-workbench generate', () => {
  it('writes n rows per prompt of a .txt file with text, tokens, logp, finish reason, seed and sampling', () => {
    const prompts = file('prompts.txt', 'Name a colour.\nSay hi.\n');
    const out = path.join(work, 'out.jsonl');
    const result = generate(prompts, out, '--seed', '3', '--top-k', '10', '--device', 'cpu');
    expect([result.status, result.stdout]).toEqual([0, `wrote 4 candidates for 2 prompts to ${out}\n`]);
    expect(result.stderr).toContain('prompts 2/2, ');
    expect(result.stderr).toMatch(/device: cpu\n$/);
    const written = rows(out);
    expect(written.map((r) => [r.prompt, r.prompt_id, r.candidate])).toEqual([
      ['Name a colour.', '1', 0],
      ['Name a colour.', '1', 1],
      ['Say hi.', '2', 0],
      ['Say hi.', '2', 1],
    ]);
    for (const row of written) {
      expect(Object.keys(row)).toEqual([
        'prompt',
        'prompt_id',
        'candidate',
        'text',
        'token_ids',
        'token_count',
        'logp',
        'finish_reason',
        'seed',
        'sampling',
      ]);
      expect(row.sampling).toMatchObject({
        temperature: 0.8,
        topK: 10,
        topP: 0.95,
        maxNewTokens: 5,
        runSeed: 3,
      });
      expect(['eos', 'length']).toContain(row.finish_reason);
      expect(row.token_count).toBe((row.token_ids as number[]).length);
    }

    // The same prompts as .jsonl (one as chat messages) and .csv, two prompts per batch: the same candidates
    // (a text prompt is a user turn under the chat template); batched float sums agree to 1e-4.
    const jsonl = file(
      'prompts.jsonl',
      `${JSON.stringify({ prompt: 'Name a colour.' })}\n${JSON.stringify({ prompt: [{ role: 'user', content: 'Say hi.' }] })}\n`,
    );
    const csv = file('prompts.csv', 'prompt\nName a colour.\nSay hi.\n');
    for (const prompts of [jsonl, csv]) {
      const again = path.join(work, `again${path.extname(prompts)}.jsonl`);
      const rerun = generate(
        prompts,
        again,
        '--seed',
        '3',
        '--top-k',
        '10',
        '--device',
        'cpu',
        '--prompts-per-batch',
        '2',
      );
      expect(rerun.status, rerun.stderr).toBe(0);
      const rerows = rows(again);
      expect(rerows.map(({ logp: _, ...rest }) => rest)).toEqual(written.map(({ logp: _, ...rest }) => rest));
      rerows.forEach((row, i) => expect(row.logp).toBeCloseTo(written[i]?.logp as number, 4));
    }
  });

  it('names the file and line of a bad prompt row, and stores nothing', () => {
    const bad = file('bad.jsonl', `${JSON.stringify({ prompt: 'Fine.' })}\n{"prompt": 7}\n`);
    const out = path.join(work, 'never.jsonl');
    const result = generate(bad, out);
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim()).toBe(
      `dpo-workbench: ${bad} line 2: field "prompt" must be a string or a list of {role, content} messages, got a number`,
    );
    expect(() => readFileSync(out)).toThrow();
  });

  it('refuses a bad flag or a missing prompts file with a one-line reason', () => {
    const prompts = file('one.txt', 'Hello.\n');
    const out = path.join(work, 'x.jsonl');
    const n = cli(
      'generate',
      '--model',
      model,
      '--prompts',
      prompts,
      '--n',
      'two',
      '--max-new-tokens',
      '5',
      '--out',
      out,
    );
    expect(n.status).not.toBe(0);
    expect(n.stderr.split('\n')[0]).toBe(
      `error: option '--n <n>' argument 'two' is invalid. --n must be an integer; got "two"`,
    );
    const missing = generate(path.join(work, 'nope.txt'), out);
    expect(missing.stderr.trim()).toMatch(
      new RegExp(`^dpo-workbench: .*nope\\.txt: cannot read the prompts file`),
    );
  });
});
