// Atomic training checkpoints: adapter tensors, optimizer state, step, data order and RNG state, written to
// `<dir>.tmp-<pid>`, fsynced, then renamed over `<dir>`; a kill at any point, any number of times, leaves
// the last good one readable, and recoverCheckpoint tidies whatever state the sequence was cut in.
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type CheckpointTensor =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'float64'; shape: number[]; data: Float64Array };

export interface Checkpoint {
  /** Optimizer steps done; the next step to run is `step`. */
  step: number;
  /** The permutation of example indices the run follows (e.g. concatenated per-epoch shuffles). */
  dataOrder: number[];
  /** Rng.state after the last step. */
  rngState: number;
  /** LoRA tensors keyed by param name (`<module>.lora_A.weight`). */
  adapter: Record<string, CheckpointTensor>;
  /** Optimizer state keyed by the train step's slot names (`<param>.m`, `<param>.v`, `step`, `<param>.momentum`). */
  optimizer: Record<string, CheckpointTensor>;
  /** Run settings and anything else JSON that resuming must check (model, loss, lr schedule ...). */
  meta: Record<string, unknown>;
}

const FORMAT = 'dpo-workbench-checkpoint';
const VERSION = 1;
const STATE_FILE = 'state.json';
const TENSORS_FILE = 'tensors.bin';

interface IndexEntry {
  group: 'adapter' | 'optimizer';
  name: string;
  dtype: CheckpointTensor['dtype'];
  shape: number[];
  offset: number;
  byteLength: number;
}

/** The points of the write sequence, in order; a fault hook may stop the write (as a kill would) at each. */
export const CHECKPOINT_WRITE_POINTS = [
  'tmp-created',
  'tensors-written',
  'tensors-synced',
  'state-synced',
  'old-prev-removed',
  'old-moved-to-prev',
  'new-renamed-into-place',
  'parent-synced',
  'prev-removed',
] as const;
export type CheckpointWritePoint = (typeof CHECKPOINT_WRITE_POINTS)[number];

export interface CheckpointWriteOptions {
  /** Called at each point of the sequence; throwing there leaves the files exactly as a kill would. */
  fault?: (point: CheckpointWritePoint) => void;
}

const tmpDir = (dir: string): string => `${dir}.tmp-${process.pid}`;
const prevDir = (dir: string): string => `${dir}.prev`;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function checkPermutation(order: readonly number[], where: string): void {
  const seen = new Uint8Array(order.length);
  for (const i of order) {
    if (!Number.isInteger(i) || i < 0 || i >= order.length || seen[i])
      throw new Error(`${where}: dataOrder is not a permutation of 0..${order.length - 1} (at ${i})`);
    seen[i] = 1;
  }
}

function checkTensor(where: string, name: string, t: CheckpointTensor): void {
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== size)
    throw new Error(`${where}: ${name} has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
  const bad = t.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new Error(`${where}: ${name} is not finite at index ${bad} (${t.data[bad]}); not saving`);
}

/**
 * Writes `checkpoint` to `dir` atomically: everything goes to `<dir>.tmp-<pid>` (each file and the folder
 * fsynced); then, only when `dir` holds a complete checkpoint, an older `<dir>.prev` is dropped and `dir`
 * becomes `.prev`; the new folder is renamed into place, the parent fsynced, and `.prev` removed. So at every
 * instant `dir` or `<dir>.prev` is a complete checkpoint, however many times the sequence is cut.
 * Everything is checked before the first byte is written; an I/O error leaves a tmp folder that the next
 * write or recoverCheckpoint removes.
 */
export async function writeCheckpoint(
  dir: string,
  checkpoint: Checkpoint,
  options: CheckpointWriteOptions = {},
): Promise<void> {
  const where = `writeCheckpoint ${dir}`;
  const at = options.fault ?? (() => undefined);
  if (!Number.isInteger(checkpoint.step) || checkpoint.step < 0)
    throw new Error(`${where}: bad step ${checkpoint.step}`);
  checkPermutation(checkpoint.dataOrder, where);
  for (const group of ['adapter', 'optimizer'] as const)
    for (const [name, t] of Object.entries(checkpoint[group])) checkTensor(where, name, t);
  const tmp = tmpDir(dir);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  at('tmp-created');
  const index: IndexEntry[] = [];
  const handle = await open(join(tmp, TENSORS_FILE), 'w');
  try {
    let offset = 0;
    for (const group of ['adapter', 'optimizer'] as const) {
      for (const [name, t] of Object.entries(checkpoint[group])) {
        const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
        await handle.write(bytes, 0, bytes.length, offset);
        index.push({ group, name, dtype: t.dtype, shape: [...t.shape], offset, byteLength: bytes.length });
        offset += bytes.length;
      }
    }
    at('tensors-written');
    await handle.sync();
  } finally {
    await handle.close();
  }
  at('tensors-synced');
  const state = {
    format: FORMAT,
    version: VERSION,
    step: checkpoint.step,
    dataOrder: checkpoint.dataOrder,
    rngState: checkpoint.rngState,
    meta: checkpoint.meta,
    tensors: index,
  };
  const stateHandle = await open(join(tmp, STATE_FILE), 'w');
  try {
    await stateHandle.writeFile(JSON.stringify(state));
    await stateHandle.sync();
  } finally {
    await stateHandle.close();
  }
  await fsyncDir(tmp);
  at('state-synced');
  // `.prev` may be the only complete checkpoint (a kill between the renames): keep it unless `dir` is one.
  if (await exists(join(dir, STATE_FILE))) {
    await rm(prevDir(dir), { recursive: true, force: true });
    at('old-prev-removed');
    await rename(dir, prevDir(dir));
    at('old-moved-to-prev');
  } else await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  at('new-renamed-into-place');
  await fsyncDir(dirname(dir));
  at('parent-synced');
  await rm(prevDir(dir), { recursive: true, force: true });
  at('prev-removed');
}

/**
 * Brings `dir` back to one complete checkpoint after a kill anywhere in writeCheckpoint: unfinished
 * `<dir>.tmp-*` folders (of any process) are removed, a `.prev` left alone by a kill between the renames
 * becomes `dir` again, and a `.prev` beside a complete `dir` is dropped. Returns the checkpoint, if any.
 */
export async function recoverCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  const parent = dirname(dir);
  const stalePrefix = `${basename(dir)}.tmp-`;
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names)
    if (name.startsWith(stalePrefix)) await rm(join(parent, name), { recursive: true, force: true });
  const hasCurrent = await exists(join(dir, STATE_FILE));
  if (!hasCurrent && (await exists(join(prevDir(dir), STATE_FILE)))) {
    await rm(dir, { recursive: true, force: true });
    await rename(prevDir(dir), dir);
    await fsyncDir(parent);
  } else if (await exists(prevDir(dir))) await rm(prevDir(dir), { recursive: true, force: true });
  return readCheckpoint(dir);
}

function toTensor(bytes: Buffer, entry: IndexEntry, where: string): CheckpointTensor {
  const end = entry.offset + entry.byteLength;
  if (end > bytes.length) throw new Error(`${where}: ${entry.name} runs past the end of ${TENSORS_FILE}`);
  const copy = Uint8Array.from(bytes.subarray(entry.offset, end)).buffer;
  const size = entry.shape.reduce((a, b) => a * b, 1);
  const tensor: CheckpointTensor =
    entry.dtype === 'float64'
      ? { dtype: 'float64', shape: entry.shape, data: new Float64Array(copy) }
      : { dtype: 'float32', shape: entry.shape, data: new Float32Array(copy) };
  if (tensor.data.length !== size) throw new Error(`${where}: ${entry.name} has the wrong byte length`);
  return tensor;
}

async function readFrom(dir: string): Promise<Checkpoint> {
  const where = `readCheckpoint ${dir}`;
  const state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as {
    format?: string;
    version?: number;
    step: number;
    dataOrder: number[];
    rngState: number;
    meta: Record<string, unknown>;
    tensors: IndexEntry[];
  };
  if (state.format !== FORMAT || state.version !== VERSION)
    throw new Error(`${where}: ${STATE_FILE} is not a version ${VERSION} ${FORMAT}`);
  checkPermutation(state.dataOrder, where);
  const bytes = await readFile(join(dir, TENSORS_FILE));
  const checkpoint: Checkpoint = {
    step: state.step,
    dataOrder: state.dataOrder,
    rngState: state.rngState,
    adapter: {},
    optimizer: {},
    meta: state.meta,
  };
  for (const entry of state.tensors) checkpoint[entry.group][entry.name] = toTensor(bytes, entry, where);
  return checkpoint;
}

/**
 * Reads the checkpoint at `dir`, or the previous one at `<dir>.prev` when a write died between its two
 * renames. Returns undefined when neither exists; throws (naming the folder) on a damaged one.
 */
export async function readCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  if (await exists(join(dir, STATE_FILE))) return readFrom(dir);
  if (await exists(join(prevDir(dir), STATE_FILE))) return readFrom(prevDir(dir));
  return undefined;
}
