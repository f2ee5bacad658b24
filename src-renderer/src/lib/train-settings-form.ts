// The advanced panel as data: every training setting with its label, input kind and one-line help, and
// the conversion from what was typed to the setting's value (empty optional fields become null).
import {
  LOSS_TYPES,
  REFERENCE_CHOICES,
  SCHEDULES,
  TRAIN_METHODS,
  TRAIN_SETTING_HELP,
  type TrainSettingName,
  type TrainSettings,
} from '../../../src-shared/train-schemas';

export type FieldKind = 'number' | 'int' | 'optional-int' | 'optional-number' | 'choice' | 'bool' | 'list';

export interface SettingField {
  name: TrainSettingName;
  label: string;
  kind: FieldKind;
  options?: readonly string[];
  help: string;
}

const field = (name: TrainSettingName, label: string, kind: FieldKind, options?: readonly string[]) => ({
  name,
  label,
  kind,
  ...(options ? { options } : {}),
  help: TRAIN_SETTING_HELP[name],
});

export const SETTING_GROUPS: readonly { title: string; fields: SettingField[] }[] = [
  {
    title: 'Loss',
    fields: [
      field('method', 'Method', 'choice', TRAIN_METHODS),
      field('loss', 'DPO loss', 'choice', LOSS_TYPES),
      field('beta', 'Beta', 'number'),
      field('reference', 'Reference model', 'choice', REFERENCE_CHOICES),
      field('labelSmoothing', 'Label smoothing', 'number'),
      field('sftWeight', 'SFT weight', 'number'),
      field('pairWeights', 'Pair weights', 'bool'),
      field('desirableWeight', 'KTO desirable weight', 'number'),
      field('undesirableWeight', 'KTO undesirable weight', 'number'),
    ],
  },
  {
    title: 'LoRA',
    fields: [
      field('loraR', 'Rank r', 'int'),
      field('loraAlpha', 'Alpha', 'number'),
      field('loraTargets', 'Target modules', 'list'),
    ],
  },
  {
    title: 'Optimization',
    fields: [
      field('optimizer', 'Optimizer', 'choice', ['adamw', 'sgd']),
      field('lr', 'Learning rate', 'number'),
      field('schedule', 'Schedule', 'choice', SCHEDULES),
      field('warmupRatio', 'Warmup ratio', 'number'),
      field('weightDecay', 'Weight decay', 'number'),
      field('maxGradNorm', 'Max grad norm', 'number'),
    ],
  },
  {
    title: 'Batches and length',
    fields: [
      field('batchSize', 'Batch size', 'int'),
      field('gradAccum', 'Gradient accumulation', 'int'),
      field('epochs', 'Epochs', 'int'),
      field('maxSteps', 'Max steps', 'optional-int'),
      field('maxLength', 'Max length', 'optional-int'),
    ],
  },
  {
    title: 'Run',
    fields: [
      field('evalEvery', 'Evaluate every', 'int'),
      field('checkpointEvery', 'Checkpoint every', 'int'),
      field('seed', 'Seed', 'int'),
      field('device', 'Device', 'choice', ['auto', 'cpu', 'cuda']),
      field('maxMemory', 'Memory budget (GB)', 'optional-number'),
    ],
  },
];

/** The text an input shows for a setting's value. */
export function fieldText(value: TrainSettings[TrainSettingName]): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

/** What was typed -> the setting's value; a typed number that is not one stays as NaN for the server to refuse. */
export function parseField(kind: FieldKind, text: string): TrainSettings[TrainSettingName] {
  const trimmed = text.trim();
  switch (kind) {
    case 'number':
    case 'int':
      return trimmed === '' ? Number.NaN : Number(trimmed);
    case 'optional-int':
    case 'optional-number':
      return trimmed === '' ? null : Number(trimmed);
    case 'list': {
      const items = trimmed
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      return items.length === 0 ? null : items;
    }
    case 'bool':
      return trimmed === 'true';
    case 'choice':
      return trimmed as TrainSettings['loss'] | TrainSettings['method'];
  }
}
