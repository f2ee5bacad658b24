// `train dpo|kto|orpo`: the model, the pairs (KTO: the unpaired examples with their KL completions) and an optional starting adapter loaded from disk, then the trainer,
// which writes the PEFT adapter, metrics.jsonl, training_args.json and checkpoints into the out folder.
import {
  loraModules,
  loraStateFrom,
  readKtoRows,
  readPeftAdapter,
  resolveTrainArgs,
  trainDpo,
  type F32Tensor,
  type SafetensorsReader,
  type TrainArgs,
  type TrainDpoInput,
  type TrainDpoResult,
  withKlCompletions,
} from '../../train/index';
import { SafetensorsFile } from '../../models/index';
import { loadModelAndPairs } from './logprobs-job';

export interface TrainJobOptions {
  model: string;
  data: string;
  out: string;
  adapterInit?: string;
  resume?: boolean;
  args: Partial<TrainArgs>;
  onStart?: TrainDpoInput['onStart'];
  onLog?: TrainDpoInput['onLog'];
  onWarning?: TrainDpoInput['onWarning'];
  signal?: AbortSignal;
}

/** Reads any float dtype as F32 through the models' safetensors reader. */
export const safetensorsReader: SafetensorsReader = {
  readSafetensors: async (path) => {
    const file = SafetensorsFile.open(path);
    const out: Record<string, F32Tensor> = {};
    for (const name of file.tensors.keys()) {
      const t = file.readFloat32(name);
      out[name] = { dtype: 'F32', shape: t.dims, data: t.data };
    }
    return out;
  },
};

export async function runTrainJob(options: TrainJobOptions): Promise<TrainDpoResult> {
  const args = resolveTrainArgs(options.args); // flag errors before any loading
  const clash = (['loraR', 'loraAlpha', 'loraTargets'] as const).find((k) => options.args[k] !== undefined);
  if (options.adapterInit && clash)
    throw new Error(
      `--${clash.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} does not apply with --adapter-init, whose adapter_config.json sets r, lora_alpha and target_modules`,
    );
  const { model, examples, padTokenId } = await loadModelAndPairs(
    options.model,
    options.data,
    args.method === 'kto'
      ? async (path, tokenizer) => withKlCompletions(await readKtoRows(path, tokenizer), args.batchSize)
      : undefined,
  );
  let initAdapter: TrainDpoInput['initAdapter'];
  if (options.adapterInit) {
    const adapter = await readPeftAdapter(options.adapterInit, safetensorsReader);
    const modules = loraModules(model.config, adapter.targetModules);
    initAdapter = {
      r: adapter.r,
      alpha: adapter.alpha,
      targetModules: adapter.targetModules,
      state: loraStateFrom(adapter, modules, options.adapterInit),
    };
  }
  return trainDpo({
    model,
    examples,
    outDir: options.out,
    args,
    padTokenId,
    ...(initAdapter ? { initAdapter } : {}),
    ...(options.resume ? { resume: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onStart ? { onStart: options.onStart } : {}),
    ...(options.onLog ? { onLog: options.onLog } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
}

/** What the command line needs to describe and check its flags (cli may not import train). */
export {
  describePlan,
  DPO_LOSS_TYPES,
  REFERENCE_CHOICES,
  SCHEDULE_KINDS,
  TRAIN_DEFAULTS,
  TRAIN_METHODS,
  type TrainArgs,
  type TrainMethod,
} from '../../train/index';
