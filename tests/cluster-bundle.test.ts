// The cluster job bundle: its TRL config names only options TRL has (a fixture gathered from TRL's source),
// its values follow our settings, its JSONL rows are TRL preference rows, and its accelerate/DeepSpeed
// configs describe the GPUs asked for.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { apiContract } from '../src-shared/api';
import { openWorkbench } from '../src-main/services/open-workbench';
import { makeTempDir, removeDir } from '../src-main/store/test-support';
import {
  buildClusterBundle,
  bundleModelFromDir,
  exportClusterBundleAt,
  PLACEHOLDER_MODEL,
  splitBatch,
  type BundleModel,
  type ClusterBundleRequest,
} from '../src-main/services/train/cluster-bundle';
import type { StoredDatasetRow } from '../src-main/store/datasets-repo';
import type { TrainArgs } from '../src-main/train/index';

interface OptionNames {
  DPOConfig: string[];
  TrainingArguments: string[];
  ScriptArguments: string[];
  ModelConfig: string[];
  loss_types: string[];
}

const names = parse(
  readFileSync(path.join(import.meta.dirname, 'fixtures/trl-option-names.yaml'), 'utf8'),
) as OptionNames;
const allowed = new Set([
  ...names.DPOConfig,
  ...names.TrainingArguments,
  ...names.ScriptArguments,
  ...names.ModelConfig,
]);

function row(i: number, split: 'train' | 'eval', messagesJson: string | null = null): StoredDatasetRow {
  return {
    pairId: i,
    comparisonId: i,
    prompt: `What is ${i} + ${i}?`,
    messagesJson,
    chosen: `${2 * i}`,
    rejected: `${2 * i + 1}`,
    weight: 1,
    split,
  };
}

const llama: BundleModel = {
  nameOrPath: 'org/tiny-llama',
  source: 'hub',
  modelType: 'llama',
  maxPositions: 512,
};

function request(overrides: Partial<ClusterBundleRequest> = {}): ClusterBundleRequest {
  return {
    datasetName: 'arith',
    rows: [
      row(1, 'train'),
      row(2, 'train'),
      row(3, 'eval', JSON.stringify([{ role: 'user', content: 'Hi' }])),
    ],
    settings: {
      beta: 0.2,
      loss: 'ipo',
      lr: 5e-5,
      loraR: 4,
      loraAlpha: 8,
      batchSize: 8,
      gradAccum: 2,
      maxSteps: 30,
    },
    model: llama,
    gpus: 2,
    format: 'trl-conversational',
    ...overrides,
  };
}

function isMessageList(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (m) =>
        typeof m === 'object' &&
        m !== null &&
        typeof (m as { role: unknown }).role === 'string' &&
        typeof (m as { content: unknown }).content === 'string',
    )
  );
}

/** TRL's preference row: prompt/chosen/rejected, all strings or all message lists. */
function isTrlPreferenceRow(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  const fields = [r.prompt, r.chosen, r.rejected];
  return fields.every((f) => typeof f === 'string') || fields.every(isMessageList);
}

function jsonlRows(text: string): unknown[] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
}

/** What TRL's dataclasses (DPOConfig, TrainingArguments, ScriptArguments, ModelConfig) expect per option. */
type Expected = 'string' | 'int' | 'number' | 'boolean' | 'string[]' | 'number[]' | 'string|string[]';
const TRL_TYPES: Record<string, Expected> = {
  model_name_or_path: 'string',
  use_peft: 'boolean',
  lora_r: 'int',
  lora_alpha: 'number',
  lora_dropout: 'number',
  lora_target_modules: 'string|string[]',
  lora_task_type: 'string',
  dataset_name: 'string',
  dataset_train_split: 'string',
  dataset_test_split: 'string',
  output_dir: 'string',
  loss_type: 'string[]',
  loss_weights: 'number[]',
  beta: 'number',
  label_smoothing: 'number',
  max_length: 'int',
  truncation_mode: 'string',
  precompute_ref_log_probs: 'boolean',
  learning_rate: 'number',
  lr_scheduler_type: 'string',
  warmup_ratio: 'number',
  optim: 'string',
  weight_decay: 'number',
  max_grad_norm: 'number',
  per_device_train_batch_size: 'int',
  per_device_eval_batch_size: 'int',
  gradient_accumulation_steps: 'int',
  max_steps: 'int',
  num_train_epochs: 'number',
  seed: 'int',
  logging_steps: 'int',
  eval_strategy: 'string',
  eval_steps: 'int',
  save_strategy: 'string',
  save_steps: 'int',
  bf16: 'boolean',
  gradient_checkpointing: 'boolean',
  report_to: 'string',
};

function hasType(value: unknown, expected: Expected): boolean {
  const isString = (v: unknown) => typeof v === 'string';
  const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  switch (expected) {
    case 'string':
      return isString(value);
    case 'int':
      return Number.isInteger(value);
    case 'number':
      return isNumber(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string[]':
      return Array.isArray(value) && value.every(isString);
    case 'number[]':
      return Array.isArray(value) && value.every(isNumber);
    case 'string|string[]':
      return isString(value) || (Array.isArray(value) && value.every(isString));
  }
}

/** As TRL reads it: PyYAML's safe_load is YAML 1.1 (`no` is false, `1e3` a number unless quoted). */
const readYaml11 = (text: string | undefined): Record<string, unknown> =>
  parse(text ?? '', { version: '1.1' }) as Record<string, unknown>;

describe('cluster bundle', () => {
  it('read as YAML 1.1, every option the bundle can write has the type TRL expects, whatever the strings', () => {
    const seen = new Map<string, unknown[]>();
    // Strings YAML 1.1 would read as something else, wherever a string can come from the user.
    const tricky: BundleModel = { nameOrPath: 'no', source: 'hub', modelType: null, maxPositions: null };
    const settings: Partial<TrainArgs>[] = [
      {},
      { sftWeight: 0.5, maxSteps: 30, lr: 1e-7, optimizer: 'sgd', schedule: 'cosine', warmupRatio: 0.1 },
      { loraTargets: ['on', 'no', 'y', 'null', '1e3', '0x1F', '2024'], loraAlpha: 16.5, beta: 1 },
      { schedule: 'constant', maxLength: 128, labelSmoothing: 0.25, weightDecay: 0.01, maxGradNorm: 0 },
    ];
    for (const model of [llama, tricky, PLACEHOLDER_MODEL])
      for (const rows of [request().rows, [row(1, 'train')]])
        for (const s of settings) {
          const files = buildClusterBundle(request({ model, rows, settings: s, datasetName: 'no\nyes: 1' }));
          const config = readYaml11(files.get('trl-dpo.yaml'));
          for (const [key, value] of Object.entries(config)) {
            expect(TRL_TYPES[key], `${key} has no expected type in this test`).toBeDefined();
            expect(hasType(value, TRL_TYPES[key] as Expected), `${key}: ${JSON.stringify(value)}`).toBe(true);
            seen.set(key, [...(seen.get(key) ?? []), value]);
          }
        }
    expect([...seen.keys()].sort()).toEqual(Object.keys(TRL_TYPES).sort()); // every option was written
    expect(seen.get('model_name_or_path')).toContain('no');
    expect(seen.get('eval_strategy')).toEqual(expect.arrayContaining(['no', 'steps']));
    expect(seen.get('lora_target_modules')).toContainEqual(['on', 'no', 'y', 'null', '1e3', '0x1F', '2024']);
    expect(seen.get('learning_rate')).toContain(1e-7);
    for (const name of ['accelerate-multi-gpu.yaml', 'accelerate-zero2.yaml']) {
      const accelerate = readYaml11(buildClusterBundle(request()).get(name));
      for (const key of ['compute_environment', 'distributed_type', 'mixed_precision', 'rdzv_backend'])
        expect(typeof accelerate[key], `${name}: ${key}`).toBe('string');
      if ('downcast_bf16' in accelerate) expect(accelerate.downcast_bf16).toBe('no');
      expect(typeof accelerate.use_cpu).toBe('boolean');
    }
  });

  it('names only options that TRL DPOConfig, ScriptArguments and ModelConfig define', () => {
    for (const extra of [{}, { sftWeight: 0.5 }, { maxSteps: undefined, schedule: 'cosine' as const }]) {
      const files = buildClusterBundle(request({ settings: { ...request().settings, ...extra } }));
      const config = parse(files.get('trl-dpo.yaml') ?? '') as Record<string, unknown>;
      const unknown = Object.keys(config).filter((key) => !allowed.has(key));
      expect(unknown).toEqual([]);
      for (const loss of config.loss_type as string[]) expect(names.loss_types).toContain(loss);
    }
    expect(allowed.has('max_prompt_length')).toBe(false); // removed in TRL 0.29; the check must catch it
  });

  it('maps our settings onto TRL values, keeping the effective batch over the GPUs', () => {
    const config = parse(buildClusterBundle(request()).get('trl-dpo.yaml') ?? '') as Record<string, unknown>;
    expect(config).toMatchObject({
      model_name_or_path: 'org/tiny-llama',
      use_peft: true,
      lora_r: 4,
      lora_alpha: 8,
      lora_target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
      loss_type: ['ipo'],
      beta: 0.2,
      learning_rate: 5e-5,
      max_steps: 30,
      max_length: 512,
      truncation_mode: 'keep_start',
      per_device_train_batch_size: 4,
      gradient_accumulation_steps: 1,
      dataset_name: './data',
      dataset_test_split: 'test',
      eval_strategy: 'steps',
    });
    expect(config.num_train_epochs).toBeUndefined();
    const readmeText = buildClusterBundle(request()).get('README.md') ?? '';
    expect(readmeText).toContain('Reference model: the base model without the adapter');
    expect(readmeText).toContain('`truncation_mode: keep_start`');
    const fromTuned = buildClusterBundle(request({ startingAdapter: '/data/runs/3' })).get('README.md');
    expect(fromTuned).toContain(
      "the trained version's adapter (/data/runs/3): the job trains a fresh adapter",
    );
    const withSft = parse(
      buildClusterBundle(request({ settings: { ...request().settings, sftWeight: 0.25 } as never })).get(
        'trl-dpo.yaml',
      ) ?? '',
    ) as Record<string, unknown>;
    expect(withSft.loss_type).toEqual(['ipo', 'sft']);
    expect(withSft.loss_weights).toEqual([1, 0.25]);
  });

  it('refuses a KTO or ORPO run rather than writing it as a DPO job', () => {
    for (const method of ['kto', 'orpo'] as const)
      expect(() => buildClusterBundle(request({ settings: { ...request().settings, method } }))).toThrow(
        `the cluster bundle writes a TRL DPO job; method ${method} is not exported yet`,
      );
  });

  it('writes TRL preference rows: train and test splits, conversational or standard', () => {
    const conversational = buildClusterBundle(request());
    const train = jsonlRows(conversational.get('data/train.jsonl') ?? '');
    const test = jsonlRows(conversational.get('data/test.jsonl') ?? '');
    expect(train).toHaveLength(2);
    expect(test).toHaveLength(1);
    for (const r of [...train, ...test]) expect(isTrlPreferenceRow(r)).toBe(true);
    expect(test[0]).toEqual({
      prompt: [{ role: 'user', content: 'Hi' }],
      chosen: [{ role: 'assistant', content: '6' }],
      rejected: [{ role: 'assistant', content: '7' }],
    });
    const standard = jsonlRows(buildClusterBundle(request({ format: 'trl' })).get('data/train.jsonl') ?? '');
    expect(standard[0]).toEqual({ prompt: 'What is 1 + 1?', chosen: '2', rejected: '3' });
    expect(
      isTrlPreferenceRow({ prompt: 'x', chosen: [{ role: 'assistant', content: 'y' }], rejected: 'z' }),
    ).toBe(false);
  });

  it('leaves evaluation off without eval rows, and refuses a dataset without training rows', () => {
    const files = buildClusterBundle(request({ rows: [row(1, 'train')] }));
    expect(files.has('data/test.jsonl')).toBe(false);
    const config = parse(files.get('trl-dpo.yaml') ?? '') as Record<string, unknown>;
    expect(config.eval_strategy).toBe('no');
    expect(config.dataset_test_split).toBeUndefined();
    expect(() => buildClusterBundle(request({ rows: [row(1, 'eval')] }))).toThrow(/no training pairs/);
    expect(() => buildClusterBundle(request({ settings: { beta: -1 } }))).toThrow(/--beta/);
  });

  it('describes the GPUs in the accelerate and DeepSpeed ZeRO-2 configs', () => {
    const files = buildClusterBundle(request({ gpus: 4, settings: { batchSize: 16, gradAccum: 4 } }));
    const ddp = parse(files.get('accelerate-multi-gpu.yaml') ?? '') as Record<string, unknown>;
    const zero = parse(files.get('accelerate-zero2.yaml') ?? '') as Record<string, unknown>;
    const deepspeed = JSON.parse(files.get('deepspeed-zero2.json') ?? '') as {
      zero_optimization: { stage: number };
    };
    expect(ddp).toMatchObject({ distributed_type: 'MULTI_GPU', num_processes: 4 });
    expect(zero).toMatchObject({
      distributed_type: 'DEEPSPEED',
      num_processes: 4,
      deepspeed_config: { deepspeed_config_file: 'deepspeed-zero2.json' },
    });
    expect(deepspeed.zero_optimization.stage).toBe(2);
    const config = parse(files.get('trl-dpo.yaml') ?? '') as Record<string, number>;
    expect(config.per_device_train_batch_size! * config.gradient_accumulation_steps! * 4).toBe(16);
    expect(files.get('README.md')).toContain('accelerate launch --config_file accelerate-zero2.yaml');
  });

  it('splits a batch over GPUs or says why it cannot', () => {
    expect(splitBatch(8, 1, 1)).toEqual({ perDevice: 8, accumulation: 1 });
    expect(splitBatch(8, 4, 2)).toEqual({ perDevice: 2, accumulation: 2 });
    expect(splitBatch(8, 1, 4)).toEqual({ perDevice: 2, accumulation: 1 });
    expect(() => splitBatch(6, 1, 4)).toThrow(/cannot be split evenly over 4 GPUs/);
  });

  it('names the base model by its hub name when config.json has one, else by its folder', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bundle-model-'));
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        _name_or_path: 'HuggingFaceTB/SmolLM2-135M',
        model_type: 'llama',
        max_position_embeddings: 8192,
      }),
    );
    expect(bundleModelFromDir(dir)).toEqual({
      nameOrPath: 'HuggingFaceTB/SmolLM2-135M',
      source: 'hub',
      modelType: 'llama',
      maxPositions: 8192,
    });
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ _name_or_path: '/home/me/ckpt', model_type: 'gpt2' }),
    );
    const local = bundleModelFromDir(dir);
    expect(local).toMatchObject({ nameOrPath: path.resolve(dir), source: 'local', modelType: 'gpt2' });
    const files = buildClusterBundle(request({ model: local, settings: {} }));
    const config = parse(files.get('trl-dpo.yaml') ?? '') as Record<string, unknown>;
    expect(config.lora_target_modules).toEqual(['c_attn', 'c_proj', 'c_fc']);
    expect(files.get('README.md')).toContain("point it at the cluster's copy");
  });

  it('exports a stored dataset into a new folder, with a placeholder model when none is named', async () => {
    const dir = makeTempDir('bundle-data-');
    const workbench = openWorkbench({ dataDir: dir, transport: 'http' });
    try {
      const content = [1, 2, 3].map((i) =>
        JSON.stringify({ prompt: `Q${i}`, chosen: 'yes', rejected: 'no' }),
      );
      await workbench.data.imports.importFile({
        fileName: 'pairs.jsonl',
        bytes: new TextEncoder().encode(content.join('\n')),
        dataset: 'small',
      });
      const outDir = path.join(dir, 'bundle');
      const result = await exportClusterBundleAt(dir, 'small', { settings: { lr: 1e-5 }, outDir });
      expect(result).toMatchObject({ trainRows: 3, evalRows: 0, model: 'REPLACE-WITH/base-model' });
      expect(result.files.map((f) => path.relative(outDir, f)).sort()).toEqual([
        'README.md',
        'accelerate-multi-gpu.yaml',
        'accelerate-zero2.yaml',
        'data/train.jsonl',
        'deepspeed-zero2.json',
        'trl-dpo.yaml',
      ]);
      const config = parse(readFileSync(path.join(outDir, 'trl-dpo.yaml'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(config).toMatchObject({ lora_target_modules: 'all-linear', learning_rate: 1e-5 });
      const rows = jsonlRows(readFileSync(path.join(outDir, 'data/train.jsonl'), 'utf8'));
      expect(rows[0]).toEqual({
        prompt: [{ role: 'user', content: 'Q1' }],
        chosen: [{ role: 'assistant', content: 'yes' }],
        rejected: [{ role: 'assistant', content: 'no' }],
      });
      await expect(exportClusterBundleAt(dir, 'small', { settings: {}, outDir })).rejects.toThrow(
        /not empty/,
      );
      await expect(
        exportClusterBundleAt(dir, 'nope', { settings: {}, outDir: `${outDir}-2` }),
      ).rejects.toThrow(/no dataset named "nope"/);
      await expect(
        exportClusterBundleAt(dir, 'small', { settings: {}, outDir: '/proc/self/x' }),
      ).rejects.toThrow('--out: /proc/self/x is inside /proc, a system folder; choose a folder of yours');
    } finally {
      workbench.close();
      removeDir(dir);
    }
  });

  it('is an API method: writes the bundle, and answers not_found / conflict with the field named', async () => {
    const dir = makeTempDir('bundle-api-');
    const workbench = openWorkbench({ dataDir: dir, transport: 'http' });
    try {
      const api = workbench.services;
      const content = [1, 2].map((i) => JSON.stringify({ prompt: `Q${i}`, chosen: 'yes', rejected: 'no' }));
      await workbench.data.imports.importFile({
        fileName: 'pairs.jsonl',
        bytes: new TextEncoder().encode(content.join('\n')),
        dataset: 'api',
      });
      const datasetId = workbench.data.datasets.idByName('api');
      const outDir = path.join(dir, 'job');
      const input = apiContract.exportClusterBundle.input.parse({
        datasetId,
        outDir,
        settings: { beta: 0.3 },
      });
      const result = await api.exportClusterBundle(input);
      expect(result).toMatchObject({ outDir, trainRows: 2, evalRows: 0 });
      const config = parse(readFileSync(path.join(outDir, 'trl-dpo.yaml'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(config.beta).toBe(0.3);
      await expect(Promise.resolve().then(() => api.exportClusterBundle(input))).rejects.toMatchObject({
        code: 'conflict',
      });
      await expect(
        Promise.resolve().then(() =>
          api.exportClusterBundle({ ...input, datasetId: 999, outDir: `${outDir}-2` }),
        ),
      ).rejects.toMatchObject({
        code: 'not_found',
        message: expect.stringMatching(/^datasetId:/) as unknown,
      });
    } finally {
      workbench.close();
      removeDir(dir);
    }
  });
});
