// A prompt sampled for candidates and the same prompt in a training pair must be the same token ids: the
// generate path (generatorTokenizer: messages, or a text as one user turn, through the chat template with
// the generation prompt) against the train path (the dataset's TRL conversational row, tokenizeRow as
// collation reads PAIRS.jsonl).
import { expect, it } from 'vitest';
import { generatorTokenizer } from '../../generate/index';
import type { ChatMessage, ModelTokenizer } from '../../models/index';
import type { StoredDatasetRow } from '../../store/datasets-repo';
import { tokenizeRow } from '../../train/index';
import { trlConversationalRow } from '../export/export-rows';

const PROMPTS: { text: string; messages: ChatMessage[] | null }[] = [
  { text: 'What is the capital of Peru?', messages: null },
  { text: '  leading spaces, trailing newline\n', messages: null },
  { text: 'Hi 🤖 中文？', messages: null },
  {
    text: 'More?',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi 🤖' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'More?' },
    ],
  },
  {
    text: 'Write code:',
    messages: [{ role: 'user', content: 'Write code:\n```py\nprint(1)\n```' }],
  },
];

export function samplingAndTrainingPromptIds(tokenizer: () => ModelTokenizer): void {
  it('a prompt sampled for candidates and the same prompt in a training pair give the same ids', () => {
    const model = tokenizer();
    const sampling = generatorTokenizer(model);
    for (const [index, p] of PROMPTS.entries()) {
      const row: StoredDatasetRow = {
        pairId: index,
        comparisonId: null,
        prompt: p.text,
        messagesJson: p.messages === null ? null : JSON.stringify(p.messages),
        chosen: '  Sure —\n\nDone.  ',
        rejected: 'No.',
        weight: 1,
        split: 'train',
      };
      const sampled = sampling.encodeChat(p.messages ?? p.text);
      const trained = tokenizeRow(trlConversationalRow(row), model, `prompt ${index}`);
      expect(trained.prompt).toEqual(sampled);
      // The completion follows the prompt: its text is what the template writes after the prompt.
      expect(model.decode(trained.chosen)).toContain('Sure —\n\nDone.');
      if (model.bosTokenId !== undefined)
        expect(sampled.filter((id) => id === model.bosTokenId)).toHaveLength(1);
    }
  });
}
