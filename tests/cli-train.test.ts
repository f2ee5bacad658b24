// The training commands end to end on the tiny model fixtures: `train dpo` writes a PEFT adapter, TRL-named
// metrics and the resolved arguments; `logprobs` writes one row per pair; `merge` gives a checkpoint whose
// logits equal base + adapter; bad flags fail with a one-line reason naming the flag.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildScoringGraph,
  loadCheckpoint,
  loadPeftAdapter,
  SafetensorsFile,
} from '../src-main/models/index';
import {
  CHAT_WORDS_TOKENIZER_CONFIG,
  CHAT_WORDS_TOKENIZER_JSON,
} from '../src-main/models/tokenizer-test-support';
import { openGraph } from '../src-main/train/index';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/index.ts', ...args], { encoding: 'utf8' });

const FIXTURES = path.join('src-main', 'models', 'fixtures');
const work = mkdtempSync(path.join(tmpdir(), 'dpo-cli-train-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PAIRS = [
  { prompt_input_ids: [1, 17, 40, 5], chosen_input_ids: [33, 8, 2], rejected_input_ids: [60, 61, 62, 63, 2] },
  { prompt_ids: [1, 70], chosen_ids: [12, 13, 14, 15], rejected_ids: [90, 2] },
  { prompt_ids: [1, 4, 4, 4, 9, 22], chosen_ids: [7], rejected_ids: [8, 9] },
  { prompt_ids: [1, 30, 31], chosen_ids: [44, 45, 2], rejected_ids: [46, 2] },
];
const data = path.join(work, 'pairs.jsonl');
writeFileSync(data, PAIRS.map((p) => JSON.stringify(p)).join('\n'));

const jsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, number>);

type Method = 'dpo' | 'kto' | 'orpo';

/** `train <method>` on a model fixture and the pairs, into `out`. */
const trainArgs = (model: string, out: string, method: Method = 'dpo') => [
  'train',
  method,
  '--model',
  path.join(FIXTURES, model),
  '--data',
  data,
  '--out',
  out,
];

function train(model: string, out: string, ...extra: string[]) {
  trainWith('dpo', model, out, ...extra);
}

function trainWith(method: Method, model: string, out: string, ...extra: string[]) {
  const result = cli(
    ...trainArgs(model, out, method),
    '--max-steps',
    '2',
    '--batch-size',
    '2',
    '--lr',
    '1e-2',
    '--eval-split',
    '0.25',
    '--eval-every',
    '1',
    '--device',
    'cpu',
    ...extra,
  );
  expect([result.status, result.stdout]).toEqual([
    0,
    `completed: 2 steps; adapter, metrics.jsonl and training_args.json in ${out}\n`,
  ]);
  expect(result.stderr).toMatch(/^device: cpu; steps 1\.\.2\n/);
  expect(result.stderr).toMatch(
    /\nmemory plan: micro-batch \d+ x 1, recompute off, head in 1 chunk; estimated peak \d+\.\d\d GB of /,
  );
}

describe('dpo-workbench train kto and train orpo', () => {
  it('train kto unpairs the preference rows and logs TRL KTOTrainer names, kl included', () => {
    const run = path.join(work, 'kto-run');
    trainWith('kto', 'llama', run, '--desirable-weight', '1.5', '--batch-size', '6'); // every step sees both sides
    const rows = jsonl(path.join(run, 'metrics.jsonl'));
    for (const name of [
      'loss',
      'kl',
      'rewards/chosen',
      'rewards/rejected',
      'rewards/margins',
      'eval_loss',
      'eval_kl',
    ])
      expect(Number.isFinite(rows[1]?.[name]), name).toBe(true);
    expect(rows[1]).not.toHaveProperty('rewards/accuracies'); // KTO has no pairs to be accurate on
    const args = JSON.parse(readFileSync(path.join(run, 'training_args.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(args).toMatchObject({ method: 'kto', desirableWeight: 1.5, train_pairs: 6, eval_pairs: 2 });
  });

  it('train orpo logs the odds-ratio metrics and refuses DPO-only flags', () => {
    const run = path.join(work, 'orpo-run');
    trainWith('orpo', 'llama', run);
    const rows = jsonl(path.join(run, 'metrics.jsonl'));
    for (const name of ['loss', 'nll_loss', 'log_odds_ratio', 'log_odds_chosen', 'rewards/accuracies'])
      expect(Number.isFinite(rows[1]?.[name]), name).toBe(true);
    const bad = cli(...trainArgs('llama', run, 'orpo'), '--sft-weight', '1');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown option '--sft-weight'/);
  });
});

describe('dpo-workbench train dpo, logprobs and merge', () => {
  const run = path.join(work, 'llama-run');

  it('train dpo --max-memory refuses a run that cannot fit before it starts, with the numbers', () => {
    const out = path.join(work, 'refused');
    const result = cli(...trainArgs('llama', out), '--device', 'cpu', '--max-memory', '0.01');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/not enough memory: one pair of \d+ tokens .* budget is 0\.01 GB/);
    expect(existsSync(out)).toBe(false);
  });

  it('train dpo writes the PEFT adapter, metrics.jsonl with TRL names and training_args.json', () => {
    train('llama', run, '--lora-r', '4', '--lora-targets', 'q_proj,v_proj');
    const config = JSON.parse(readFileSync(path.join(run, 'adapter_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect([config.peft_type, config.r, config.lora_alpha, config.target_modules]).toEqual([
      'LORA',
      4,
      16,
      ['q_proj', 'v_proj'],
    ]);
    const keys = [...SafetensorsFile.open(path.join(run, 'adapter_model.safetensors')).tensors.keys()].sort();
    expect(keys).toHaveLength(8);
    expect(keys[0]).toBe('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    const rows = jsonl(path.join(run, 'metrics.jsonl'));
    expect(rows.map((r) => r.step)).toEqual([1, 2]);
    for (const name of [
      'loss',
      'rewards/chosen',
      'rewards/rejected',
      'rewards/accuracies',
      'rewards/margins',
      'logps/chosen',
      'logps/rejected',
      'grad_norm',
      'learning_rate',
      'tokens/s',
      'eval_loss',
      'eval_rewards/margins',
    ])
      expect(Number.isFinite(rows[1]?.[name]), name).toBe(true);
    expect(rows[0]?.loss).toBeCloseTo(Math.log(2), 5); // B = 0: policy = reference, loss = -log sigmoid(0)
    expect(rows.map((r) => r.learning_rate)).toEqual([1e-2, 5e-3]); // linear decay over 2 steps
    const args = JSON.parse(readFileSync(path.join(run, 'training_args.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(args).toMatchObject({
      loss: 'sigmoid',
      beta: 0.1,
      lr: 0.01,
      batchSize: 2,
      maxSteps: 2,
      loraR: 4,
      train_pairs: 3,
      eval_pairs: 1,
    });
  });

  it('train dpo --adapter-init starts from that adapter (its r, alpha and targets); --reference picks the reference', () => {
    const next = path.join(work, 'llama-continued');
    train('llama', next, '--adapter-init', run);
    const config = JSON.parse(readFileSync(path.join(next, 'adapter_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect([config.r, config.target_modules]).toEqual([4, ['q_proj', 'v_proj']]);
    // Default reference: the starting adapter, frozen (TRL's), so step 1 is a tie: loss ln 2, margin 0.
    const first = jsonl(path.join(next, 'metrics.jsonl'))[0];
    expect(first?.loss).toBeCloseTo(Math.log(2), 6);
    expect(first?.['rewards/margins']).toBe(0);
    const resolved = (dir: string) =>
      (JSON.parse(readFileSync(path.join(dir, 'training_args.json'), 'utf8')) as { reference: string })
        .reference;
    expect(resolved(next)).toBe('init');
    const fromBase = path.join(work, 'llama-continued-base');
    train('llama', fromBase, '--adapter-init', run, '--reference', 'base');
    const baseFirst = jsonl(path.join(fromBase, 'metrics.jsonl'))[0];
    expect(Math.abs((baseFirst?.loss as number) - Math.log(2))).toBeGreaterThan(1e-4); // the adapter already moved
    expect(resolved(fromBase)).toBe('base');
  });

  it('logprobs writes one row per pair, in order; an adapter changes the numbers', () => {
    const base = path.join(work, 'base.jsonl');
    const tuned = path.join(work, 'tuned.jsonl');
    expect(
      cli(
        'logprobs',
        '--model',
        path.join(FIXTURES, 'llama'),
        '--data',
        data,
        '--out',
        base,
        '--device',
        'cpu',
      ).status,
    ).toBe(0);
    const withAdapter = cli(
      'logprobs',
      '--model',
      path.join(FIXTURES, 'llama'),
      '--adapter',
      run,
      '--data',
      data,
      '--out',
      tuned,
    );
    expect([withAdapter.status, withAdapter.stdout]).toEqual([0, `wrote 4 rows to ${tuned}\n`]);
    const [b, t] = [jsonl(base), jsonl(tuned)];
    expect(b.map((r) => [r.chosen_tokens, r.rejected_tokens])).toEqual([
      [3, 5],
      [4, 2],
      [1, 2],
      [3, 2],
    ]);
    expect(Object.keys(b[0] ?? {})).toEqual([
      'chosen_logp',
      'rejected_logp',
      'chosen_tokens',
      'rejected_tokens',
    ]);
    expect(b.every((r) => r.chosen_logp! < 0 && r.rejected_logp! < 0)).toBe(true);
    expect(Math.abs(t[0]!.chosen_logp! - b[0]!.chosen_logp!)).toBeGreaterThan(1e-4);
  });

  it('logprobs on text and conversational rows equals the same rows pre-tokenized with eos appended', () => {
    const model = path.join(work, 'llama-with-tokenizer');
    cpSync(path.join(FIXTURES, 'llama'), model, { recursive: true });
    writeFileSync(path.join(model, 'tokenizer.json'), JSON.stringify(CHAT_WORDS_TOKENIZER_JSON));
    writeFileSync(path.join(model, 'tokenizer_config.json'), JSON.stringify(CHAT_WORDS_TOKENIZER_CONFIG));
    const text = path.join(work, 'text.jsonl');
    writeFileSync(
      text,
      [
        { prompt: 'what ?', chosen: 'yes', rejected: 'no no' },
        {
          prompt: [{ role: 'user', content: 'hi' }],
          chosen: [{ role: 'assistant', content: 'yes' }],
          rejected: [{ role: 'assistant', content: 'no' }],
        },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const ids = path.join(work, 'ids.jsonl');
    writeFileSync(
      ids,
      [
        { prompt_ids: [9, 10], chosen_ids: [7, 2], rejected_ids: [8, 8, 2] },
        // the template closes the turn with </s> and TRL appends eos once more
        { prompt_ids: [3, 5, 4], chosen_ids: [7, 2, 2], rejected_ids: [8, 2, 2] },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const [fromText, fromIds] = [path.join(work, 'from-text.jsonl'), path.join(work, 'from-ids.jsonl')];
    expect(
      cli('logprobs', '--model', model, '--data', text, '--out', fromText, '--device', 'cpu').status,
    ).toBe(0);
    expect(cli('logprobs', '--model', model, '--data', ids, '--out', fromIds, '--device', 'cpu').status).toBe(
      0,
    );
    expect(jsonl(fromText)).toEqual(jsonl(fromIds));
    expect(jsonl(fromText).map((r) => r.chosen_tokens)).toEqual([2, 3]);
  });

  it.each(['llama', 'gpt2'])(
    'merge (%s): the merged checkpoint gives the logits of base + adapter',
    async (model) => {
      const adapterDir = model === 'llama' ? run : path.join(work, 'gpt2-run');
      if (model === 'gpt2') train('gpt2', adapterDir); // GPT-2's fused c_attn: one A, B split into q, k, v
      const merged = path.join(work, `${model}-merged`);
      const result = cli(
        'merge',
        '--model',
        path.join(FIXTURES, model),
        '--adapter',
        adapterDir,
        '--out',
        merged,
      );
      expect(result.status).toBe(0);
      const base = loadCheckpoint(path.join(FIXTURES, model));
      const lora = loadPeftAdapter(adapterDir, base.config).weights;
      const ids = {
        dtype: 'int64' as const,
        data: BigInt64Array.from([1, 5, 9, 22, 40, 7], BigInt),
        dims: [1, 6],
      };
      const feeds = {
        input_ids: ids,
        attention_mask: { ...ids, data: new BigInt64Array(6).fill(1n) },
        targets: ids,
      };
      const logits = async (graph: Parameters<typeof openGraph>[0]) => {
        const opened = await openGraph(graph, 'logits', { device: 'cpu' });
        const out = await opened.session.run(feeds, ['logits']);
        await opened.close();
        return out.logits?.data as Float32Array;
      };
      const expected = await logits(buildScoringGraph(base.config, base.weights, { lora }));
      const plain = await logits(buildScoringGraph(base.config, base.weights));
      const got = await logits(
        buildScoringGraph(loadCheckpoint(merged).config, loadCheckpoint(merged).weights),
      );
      const diff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
      expect(diff(got, expected)).toBeLessThan(1e-4);
      expect(diff(plain, expected)).toBeGreaterThan(1e-3); // the adapter does change the model
    },
  );

  it('a bad flag fails with a one-line reason naming it and writes nothing to stdout', () => {
    const base = trainArgs('llama', path.join(work, 'bad'));
    for (const [flags, reason] of [
      [['--grad-accum', '3'], '--grad-accum must be a positive integer dividing --batch-size 8; got 3'],
      [['--lr', 'fast'], '--lr must be a number; got "fast"'],
      [['--optimizer', 'lion'], '--optimizer must be one of adamw, sgd; got "lion"'],
      [['--epochs', '2', '--max-steps', '3'], '--epochs and --max-steps exclude each other; give one'],
      [['--adapter-init', run, '--lora-r', '16'], '--lora-r does not apply with --adapter-init'],
    ] as const) {
      const result = cli(...base, ...flags);
      expect(result.status, flags.join(' ')).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(
        result.stderr.includes('(run dpo-workbench') ? 2 : 1,
      );
      expect(result.stderr).toContain(reason);
    }
  });
});
