// Measures the embedded tiny model (or the checkpoint folder given as the first argument): greedy and
// temperature-1 accuracy per kind of question, as the README reports them. `npm run measure:tiny-model`.
import { resolve } from 'node:path';
import { loadGenerator } from '../src-main/generate/onnx-decoder';
import { MEASURE_DEFAULTS, measureTinyModel, type SetMeasurement } from '../src-main/generate/tiny-eval';

const folder = resolve(process.argv[2] ?? 'resources/tiny-model');
const samples = Number(process.argv[3] ?? MEASURE_DEFAULTS.samples);
const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;

function table(name: string, s: SetMeasurement): string {
  const kinds = Object.keys(s.greedy.byKind) as (keyof SetMeasurement['greedy']['byKind'])[];
  const rows = kinds.map(
    (k) =>
      `| ${name} | ${k} | ${s.greedy.byKind[k]?.answers ?? 0} | ${percent(s.greedy.byKind[k]?.accuracy ?? 0)} | ${percent(s.sampled.byKind[k]?.accuracy ?? 0)} |`,
  );
  rows.push(
    `| ${name} | **all** | ${s.questions} | **${percent(s.greedy.accuracy)}** | **${percent(s.sampled.accuracy)}** |`,
  );
  return rows.join('\n');
}

const started = performance.now();
const generator = await loadGenerator({ modelDir: folder, device: 'cpu' });
try {
  const m = await measureTinyModel(generator, { ...MEASURE_DEFAULTS, samples });
  console.log(`| set | kind | questions | greedy | sampled (T=1, ${samples} per question) |`);
  console.log('| --- | --- | ---: | ---: | ---: |');
  console.log(table('held out', m.heldOut));
  console.log(table('trained', m.train));
  for (const [name, s] of [
    ['held out', m.heldOut],
    ['trained', m.train],
  ] as const) {
    console.log(
      `${name}: ${percent(s.sampled.mixedQuestions)} of questions get both right and wrong samples; ` +
        `${s.sampled.distinctPerQuestion.toFixed(1)} distinct answers per question`,
    );
  }
  for (const e of m.examples) console.log(`${e.right ? 'right' : 'wrong'}: ${e.question} -> ${e.greedy}`);
  console.log(`measured in ${((performance.now() - started) / 1000).toFixed(0)} s`);
} finally {
  await generator.close();
}
