// The models service: importing a checkpoint folder with validation that names the file at fault,
// listing versions with lineage, size, dtype and defaults, removal (children and files only when asked),
// and the embedded model registered once.
import {
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiError } from '../../../src-shared/errors';
import { makeTempDir, openTempDatabase, removeDir, type TempDatabase } from '../../store/test-support';
import { EventBus } from '../jobs/event-bus';
import {
  createModelsHandlers,
  createModelsService,
  EMBEDDED_MODEL_FOLDER,
  type ModelsService,
} from './models-service';
import { writeCheckpointFixture } from '../../generate/checkpoint-fixture';
import { SafetensorsFile } from '../../models/index';

let temp: TempDatabase;
let models: ModelsService;
let work: string;
let changes: unknown[];
beforeEach(() => {
  temp = openTempDatabase();
  const events = new EventBus();
  changes = [];
  events.subscribe((event, payload) => {
    if (event === 'modelsChanged') changes.push(payload);
  });
  const device = async () => ({ requested: 'auto' as const, device: 'cpu' as const, reason: 'no GPU here' });
  models = createModelsService({ db: temp.db, events, device });
  work = makeTempDir('dpo-models-');
});
afterEach(() => {
  temp.dispose();
  removeDir(work);
});

function checkpoint(name = 'llama', fixture = 'llama'): string {
  const dir = path.join(work, name);
  const generationConfig = { eos_token_id: 2, temperature: 0.8, top_k: 20, top_p: 0.95, max_new_tokens: 12 };
  const written = writeCheckpointFixture({ generationConfig, fixture });
  cpSync(written, dir, { recursive: true });
  removeDir(written);
  return dir;
}

function failure(action: () => unknown): ApiError {
  try {
    action();
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected an error');
}

describe('models service', () => {
  it('imports a checkpoint folder and lists it with size, dtype, parameters and sampling defaults', async () => {
    const folder = checkpoint();
    const row = models.register(folder, 'imported');
    const [listed] = await models.list();
    // Llama fixture: embed 96x48, 2 layers of (q 48x48, k,v 24x48, o 48x48, mlp 3x 96x48, 2 norms), norm, head.
    const perLayer = 48 * 48 * 2 + 24 * 48 * 2 + 96 * 48 * 3 + 48 * 2;
    expect(listed).toMatchObject({
      id: row.id,
      name: 'llama',
      kind: 'imported',
      path: folder,
      architecture: 'LlamaForCausalLM',
      dtype: 'float32',
      parameterCount: 96 * 48 * 2 + 48 + 2 * perLayer,
      device: 'cpu',
      deviceNote: 'no GPU here',
      generationDefaults: { temperature: 0.8, topP: 0.95, topK: 20, maxNewTokens: 12 },
    });
    expect(listed!.sizeBytes).toBeGreaterThan(200_000);
    expect(changes).toEqual([{ modelIds: [row.id], kind: 'added' }]);
    expect(failure(() => models.register(folder, 'imported')).code).toBe('conflict');
  });

  it.each([
    ['qwen3', 'Qwen3ForCausalLM'],
    ['gemma3', 'Gemma3ForCausalLM'],
    ['phi3', 'Phi3ForCausalLM'],
    ['phi3-longrope', 'Phi3ForCausalLM'],
    ['smollm3', 'SmolLM3ForCausalLM'],
  ])(
    'imports a %s folder and lists its architecture, parameter count and dtype',
    async (fixture, architecture) => {
      const folder = checkpoint(fixture, fixture);
      models.register(folder, 'imported');
      const [listed] = await models.list();
      // Every stored tensor is a parameter of these fixtures (tied heads are not stored).
      const file = SafetensorsFile.open(path.join(folder, 'model.safetensors'));
      const stored = [...file.tensors.keys()].reduce(
        (n, key) => n + file.info(key).shape.reduce((a, b) => a * b, 1),
        0,
      );
      expect(listed).toMatchObject({
        architecture,
        dtype: 'float32',
        parameterCount: stored,
        thinkingOff: false,
      });
      expect(stored).toBeGreaterThan(96 * 32);
    },
  );

  it("says when a chat template has Qwen3's thinking switch (sampled with it off)", async () => {
    const folder = checkpoint('qwen3-chat', 'qwen3');
    const configPath = path.join(folder, 'tokenizer_config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    const template =
      "{% for m in messages %}{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<|assistant|>" +
      '{% if enable_thinking is defined and enable_thinking is false %}<think></think>{% endif %}{% endif %}';
    writeFileSync(configPath, JSON.stringify({ ...config, chat_template: template }));
    models.register(folder, 'imported');
    const [listed] = await models.list();
    expect(listed?.thinkingOff).toBe(true);
  });

  it('refuses broken folders with an error naming the file', () => {
    const missing = path.join(work, 'nothing');
    expect(failure(() => models.register(missing, 'imported')).message).toBe(`${missing}: no such folder`);

    const noConfig = checkpoint('no-config');
    rmSync(path.join(noConfig, 'config.json'));
    expect(failure(() => models.register(noConfig, 'imported')).message).toContain(
      `${noConfig}: no config.json in this folder`,
    );

    const unknown = checkpoint('unknown');
    const config = JSON.parse(readFileSync(path.join(unknown, 'config.json'), 'utf8'));
    writeFileSync(
      path.join(unknown, 'config.json'),
      JSON.stringify({ ...config, architectures: ['BertModel'] }),
    );
    const unknownError = failure(() => models.register(unknown, 'imported'));
    expect(unknownError.code).toBe('bad_file');
    expect(unknownError.message).toContain(path.join(unknown, 'config.json'));
    expect(unknownError.message).toContain('architecture "BertModel" (model_type "llama") is not supported');
    expect(unknownError.message).toContain('Gemma3ForCausalLM (gemma3_text)');

    const truncated = checkpoint('truncated');
    truncateSync(path.join(truncated, 'model.safetensors'), 100_000);
    expect(failure(() => models.register(truncated, 'imported')).message).toMatch(
      new RegExp(`^${path.join(truncated, 'model.safetensors')}: .*out of range`),
    );

    const bigVocab = checkpoint('vocab');
    writeFileSync(path.join(bigVocab, 'config.json'), JSON.stringify({ ...config, vocab_size: 90 }));
    // The embedding's stored shape [96, 48] no longer fits the config.
    expect(failure(() => models.register(bigVocab, 'imported')).message).toBe(
      `${path.join(bigVocab, 'model.safetensors')}: tensor model.embed_tokens.weight has shape [96,48], ` +
        'which does not fit config.json (embed.weight must be [90,48])',
    );

    const extraTokens = checkpoint('tokens');
    const tokenizerPath = path.join(extraTokens, 'tokenizer.json');
    const tokenizer = JSON.parse(readFileSync(tokenizerPath, 'utf8'));
    // Ordinary (non-special) tokens past vocab_size: special ones are allowed there (Gemma 3's
    // <image_soft_token>) and refused only when text would produce them.
    const extra = [96, 97, 98, 99].map((id) => ({
      ...tokenizer.added_tokens[0],
      id,
      content: `<extra_${id}>`,
      special: false,
    }));
    tokenizer.added_tokens.push(...extra);
    for (const token of extra) tokenizer.model.vocab[token.content] = token.id;
    writeFileSync(tokenizerPath, JSON.stringify(tokenizer));
    expect(failure(() => models.register(extraTokens, 'imported')).message).toContain(
      `${tokenizerPath}: the tokenizer has 100 tokens but config.json's vocab_size is 96`,
    );
    expect(models.repo.list()).toEqual([]);
  });

  it('removes a version with its tuned versions only when asked, and its files only when asked', async () => {
    const folder = checkpoint();
    const base = models.register(folder, 'imported');
    const adapter = path.join(work, 'adapter');
    mkdirSync(adapter);
    writeFileSync(path.join(adapter, 'adapter_model.safetensors'), 'x'.repeat(10));
    const tuned = models.repo.insert({
      ...base,
      name: 'tuned',
      kind: 'trained',
      adapterPath: adapter,
      parentId: base.id,
    });
    expect((await models.list()).find((m) => m.id === tuned.id)).toMatchObject({
      sizeBytes: 10,
      path: folder,
    });

    const refused = failure(() => models.remove(base.id, false, false));
    expect(refused.message).toBe(
      'model "llama" has 1 tuned version(s) ("tuned"); remove them too, or remove those first',
    );
    expect(models.remove(tuned.id, false, true)).toEqual({ removed: [tuned.id], deletedFolders: [adapter] });
    expect(existsSync(adapter)).toBe(false);
    expect(models.remove(base.id, false, false)).toEqual({ removed: [base.id], deletedFolders: [] });
    expect(existsSync(folder)).toBe(true);
    expect(await models.list()).toEqual([]);
    expect((await models.list(true)).map((m) => m.id)).toEqual([base.id, tuned.id]);
  });

  it('registers the embedded model once, and not again after it was removed', () => {
    const root = path.join(work, 'app');
    mkdirSync(path.join(root, 'resources'), { recursive: true });
    expect(models.registerEmbedded(root)).toBeNull();
    cpSync(checkpoint(), path.join(root, EMBEDDED_MODEL_FOLDER), { recursive: true });
    const id = models.registerEmbedded(root);
    expect(models.repo.get(id!)).toMatchObject({ kind: 'embedded', name: 'tiny (embedded)' });
    expect(models.registerEmbedded(root)).toBe(id);
    // The app now runs from another folder (an update, an AppImage mount): the same version follows it.
    const moved = path.join(work, 'app-2');
    cpSync(root, moved, { recursive: true });
    expect(models.registerEmbedded(moved)).toBe(id);
    expect(models.repo.get(id!)!.path).toBe(path.join(moved, EMBEDDED_MODEL_FOLDER));
    expect(failure(() => models.remove(id!, false, true)).message).toContain('ships with the workbench');
    models.remove(id!, false, false);
    expect(models.registerEmbedded(root)).toBeNull();
    expect(models.repo.list({ includeRemoved: true })).toHaveLength(1);
  });

  it("finds the embedded model in an installed app's resources folder (electron-builder extraResources)", () => {
    const root = path.join(work, 'app.asar');
    const resources = path.join(work, 'resources');
    cpSync(checkpoint(), path.join(resources, 'tiny-model'), { recursive: true });
    const id = models.registerEmbedded(root, resources);
    expect(models.repo.get(id!)).toMatchObject({
      kind: 'embedded',
      path: path.join(resources, 'tiny-model'),
    });
  });

  it('refuses corrupt folders at import, naming the file and the tensor (weights streamed once)', async () => {
    const importError = (folder: string) =>
      models.importCheckpoint(folder).then(
        () => {
          throw new Error('expected an error');
        },
        (error: ApiError) => error,
      );
    /** Overwrites element `index` of a stored tensor with `bytes`. */
    function poke(folder: string, tensor: string, index: number, bytes: Uint8Array): string {
      const file = path.join(folder, 'model.safetensors');
      const { start } = SafetensorsFile.open(file).fileRange(tensor);
      const fd = openSync(file, 'r+');
      writeSync(fd, bytes, 0, bytes.length, start + index * bytes.length);
      closeSync(fd);
      return file;
    }
    const f32 = (value: number) => new Uint8Array(Float32Array.of(value).buffer);

    const nan = checkpoint('nan');
    const nanFile = poke(nan, 'model.layers.1.mlp.up_proj.weight', 7, f32(Number.NaN));
    const nanError = await importError(nan);
    expect([nanError.code, nanError.message]).toEqual([
      'bad_file',
      `${nanFile}: tensor model.layers.1.mlp.up_proj.weight holds NaN at index 7: the checkpoint's weights ` +
        'are broken (not a training problem); re-download or re-convert the model',
    ]);
    const huge = checkpoint('huge');
    poke(huge, 'model.norm.weight', 3, f32(3e38));
    expect((await importError(huge)).message).toMatch(
      /tensor model\.norm\.weight holds 3\.00e\+38 at index 3/,
    );
    const bf16 = checkpoint('bf16', 'llama-bf16');
    poke(bf16, 'model.embed_tokens.weight', 5, Uint8Array.of(0x80, 0x7f)); // bf16 +Inf
    expect((await importError(bf16)).message).toMatch(
      /tensor model\.embed_tokens\.weight holds Inf at index 5/,
    );

    const half = checkpoint('half-tokenizer');
    const tokenizerPath = path.join(half, 'tokenizer.json');
    const tokenizer = JSON.parse(readFileSync(tokenizerPath, 'utf8'));
    tokenizer.model.vocab = Object.fromEntries(
      Object.entries(tokenizer.model.vocab as Record<string, number>).filter(([, id]) => id < 48),
    );
    writeFileSync(tokenizerPath, JSON.stringify(tokenizer));
    expect((await importError(half)).message).toBe(
      `${tokenizerPath}: the tokenizer has 48 tokens but config.json's vocab_size (and the embedding) has 96 ` +
        'rows; a tokenizer covering under 90% of the vocabulary does not belong to this model',
    );

    const sampling = checkpoint('top-p');
    const generationPath = path.join(sampling, 'generation_config.json');
    writeFileSync(generationPath, JSON.stringify({ eos_token_id: 2, top_p: 5 }));
    expect((await importError(sampling)).message).toBe(
      `${generationPath}: top_p is 5; it must be a number above 0 and at most 1`,
    );
    writeFileSync(generationPath, '{"top_p": 0.9,');
    expect((await importError(sampling)).message).toMatch(new RegExp(`^${generationPath}: not valid JSON`));
    expect(models.repo.list()).toEqual([]);
    expect((await models.importCheckpoint(checkpoint('fine'))).name).toBe('fine');
  });

  it('with model roots (a server beyond loopback), refuses any folder outside them alike, existing or not', async () => {
    const allowed = path.join(work, 'allowed');
    mkdirSync(allowed);
    const inside = checkpoint(path.join('allowed', 'inside'));
    const outside = checkpoint('outside');
    const handlers = createModelsHandlers(models, [allowed]);
    const refusal = (folder: string) =>
      Promise.resolve(handlers.importModel({ path: folder, name: '' })).then(
        () => 'imported',
        (error: ApiError) => `${error.code}: ${error.message}`,
      );
    const expected = `forbidden: path: this server imports models only from folders under ${allowed} (serve --model-root)`;
    expect(await refusal(outside)).toBe(expected);
    expect(await refusal(path.join(work, 'no-such-folder'))).toBe(expected);
    expect(await refusal(path.join(allowed, '..', 'outside'))).toBe(expected);
    expect(await refusal(inside)).toBe('imported');
  });
});
