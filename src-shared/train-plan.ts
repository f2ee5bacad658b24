// The step arithmetic of a training run, as the trainer does it (src-main/train/trainer.ts): steps per
// epoch = ceil(train pairs / batch), total = max steps when set, else epochs x steps per epoch. The Train
// view's plan line and the one-click notes both come from here, so the line shown is the steps run.

export interface StepsPlan {
  stepsPerEpoch: number;
  totalSteps: number;
  line: string;
}

export function stepsPlan(
  trainPairs: number,
  settings: { batchSize: number; epochs: number; maxSteps: number | null },
): StepsPlan {
  const stepsPerEpoch = Math.ceil(trainPairs / Math.max(1, settings.batchSize));
  const byEpochs = settings.epochs * stepsPerEpoch;
  const totalSteps = settings.maxSteps ?? byEpochs;
  const epochs = `${settings.epochs} epoch${settings.epochs === 1 ? '' : 's'}`;
  const line =
    settings.maxSteps === null
      ? `${epochs} of ${stepsPerEpoch} steps: ${totalSteps} steps`
      : `max steps ${totalSteps} (${epochs} of ${stepsPerEpoch} steps would be ${byEpochs})`;
  return { stepsPerEpoch, totalSteps, line };
}
