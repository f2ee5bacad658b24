// Regenerates resources/tiny-model (the embedded tiny model) from the project's own corpus, tokenizer trainer
// and engine: `npm run build:tiny-model [-- <out folder>]`. Same code, same machine: same bytes.
import { resolve } from 'node:path';
import { buildTinyModel, TINY_RECIPE } from '../src-main/train/tiny-model';

const outDir = resolve(process.argv[2] ?? 'resources/tiny-model');
console.log(
  `building the tiny model into ${outDir}: ${JSON.stringify({ ...TINY_RECIPE, snapshots: undefined })}`,
);
const result = await buildTinyModel(outDir, TINY_RECIPE, (p) =>
  console.log(
    `step ${p.step}/${p.steps}  loss ${p.loss.toFixed(4)}  grad norm ${p.gradNorm.toFixed(2)}  ` +
      `lr ${p.lr.toExponential(2)}  ${p.tokensPerSecond.toFixed(0)} tokens/s`,
  ),
);
console.log(
  `done in ${result.seconds.toFixed(0)} s: ${result.parameters} parameters, ${result.facts.train} training ` +
    `questions (${result.facts.heldOut} held out), final loss ${result.finalLoss.toFixed(4)}`,
);
