// Checkpoints: exact round trip of every part, atomic replacement, a crash mid-write keeps the last good one,
// a crash between the two renames still reads the previous one, and non-finite tensors are refused; the
// write sequence as a state machine: two kills in a row, at every pair of points, lose no complete checkpoint.
import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CHECKPOINT_WRITE_POINTS,
  readCheckpoint,
  recoverCheckpoint,
  writeCheckpoint,
  type Checkpoint,
  type CheckpointWritePoint,
} from './checkpoint';
import { Rng } from './rng';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'checkpoint-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function checkpoint(step: number): Checkpoint {
  const rng = new Rng(step);
  const f32 = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  const f64 = (n: number) => Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
  const order = rng.permutation(10);
  return {
    step,
    dataOrder: order,
    rngState: rng.state,
    adapter: {
      'q_proj.lora_A.weight': { dtype: 'float32', shape: [2, 3], data: f32(6) },
      'q_proj.lora_B.weight': { dtype: 'float32', shape: [4, 2], data: f32(8) },
    },
    optimizer: {
      'q_proj.lora_A.weight.m': { dtype: 'float64', shape: [2, 3], data: f64(6) },
      'q_proj.lora_A.weight.v': { dtype: 'float64', shape: [2, 3], data: f64(6) },
      step: { dtype: 'float64', shape: [], data: Float64Array.of(step) },
    },
    meta: { loss: 'sigmoid', beta: 0.1 },
  };
}

describe('checkpoints', () => {
  it('round-trips adapter, optimizer state, step, data order, RNG state and meta exactly', async () => {
    const dir = join(root, 'ckpt');
    const saved = checkpoint(5);
    await writeCheckpoint(dir, saved);
    expect(await readCheckpoint(dir)).toEqual(saved);
    expect((await readdir(root)).sort()).toEqual(['ckpt']);
    const rng = Rng.fromState((await readCheckpoint(dir))!.rngState);
    const original = Rng.fromState(saved.rngState);
    expect([rng.next(), rng.next()]).toEqual([original.next(), original.next()]);
  });

  it('a later write replaces the checkpoint and leaves no temporary folders', async () => {
    const dir = join(root, 'ckpt');
    await writeCheckpoint(dir, checkpoint(5));
    await writeCheckpoint(dir, checkpoint(10));
    expect((await readCheckpoint(dir))!.step).toBe(10);
    expect((await readCheckpoint(dir))!.adapter).toEqual(checkpoint(10).adapter);
    expect((await readdir(root)).sort()).toEqual(['ckpt']);
  });

  it('a crash in the middle of writing the tensors leaves the previous checkpoint intact', async () => {
    const dir = join(root, 'ckpt');
    await writeCheckpoint(dir, checkpoint(5));
    const crashing = checkpoint(10);
    const poisoned = crashing.optimizer['q_proj.lora_A.weight.m']!;
    Object.defineProperty(poisoned, 'data', {
      get() {
        throw new Error('simulated crash');
      },
    });
    await expect(writeCheckpoint(dir, crashing)).rejects.toThrow('simulated crash');
    expect(await readCheckpoint(dir)).toEqual(checkpoint(5));
    expect((await readdir(root)).sort()).toEqual(['ckpt']);
  });

  it('a process killed mid-write (stale tmp folder) or between the renames still reads the last good one', async () => {
    const dir = join(root, 'ckpt');
    await writeCheckpoint(join(root, 'other'), checkpoint(10));
    await writeCheckpoint(dir, checkpoint(5));
    await rename(join(root, 'other'), `${dir}.tmp-99999`);
    expect((await readCheckpoint(dir))!.step).toBe(5);
    await rename(dir, `${dir}.prev`);
    expect(await readCheckpoint(dir)).toEqual(checkpoint(5));
    await writeCheckpoint(dir, checkpoint(7));
    expect((await readCheckpoint(dir))!.step).toBe(7);
    expect((await readdir(root)).sort()).toEqual(['ckpt', 'ckpt.tmp-99999']);
    expect((await recoverCheckpoint(dir))!.step).toBe(7);
    expect((await readdir(root)).sort()).toEqual(['ckpt']);
  });

  it('refuses NaN/Inf tensors and bad data orders, keeping the last good checkpoint', async () => {
    const dir = join(root, 'ckpt');
    await writeCheckpoint(dir, checkpoint(5));
    const bad = checkpoint(6);
    bad.adapter['q_proj.lora_B.weight']!.data[3] = Number.NaN;
    await expect(writeCheckpoint(dir, bad)).rejects.toThrow(/q_proj.lora_B.weight is not finite at index 3/);
    await expect(writeCheckpoint(dir, { ...checkpoint(6), dataOrder: [0, 0, 1] })).rejects.toThrow(
      /dataOrder is not a permutation/,
    );
    expect(await readCheckpoint(dir)).toEqual(checkpoint(5));
    expect(await readCheckpoint(join(root, 'missing'))).toBeUndefined();
  });

  it('two kills in a row, at every pair of write points, keep the newest complete checkpoint; recovery tidies', async () => {
    const killAt = (point: CheckpointWritePoint) => ({
      fault: (at: CheckpointWritePoint) => {
        if (at === point) throw new Error(`killed at ${point}`);
      },
    });
    const landed = (point: CheckpointWritePoint) =>
      CHECKPOINT_WRITE_POINTS.indexOf(point) >= CHECKPOINT_WRITE_POINTS.indexOf('new-renamed-into-place');
    let cases = 0;
    for (const first of CHECKPOINT_WRITE_POINTS) {
      for (const second of CHECKPOINT_WRITE_POINTS) {
        const dir = join(root, `ckpt-${cases++}`);
        await writeCheckpoint(dir, checkpoint(5));
        await expect(writeCheckpoint(dir, checkpoint(10), killAt(first))).rejects.toThrow(/killed/);
        const afterFirst = landed(first) ? 10 : 5;
        expect((await readCheckpoint(dir))?.step).toBe(afterFirst);
        // With only .prev left, the write has no old checkpoint to move: those two points never come.
        const killed = await writeCheckpoint(dir, checkpoint(15), killAt(second)).then(
          () => false,
          () => true,
        );
        const afterSecond = !killed || landed(second) ? 15 : afterFirst;
        expect(await readCheckpoint(dir)).toEqual(checkpoint(afterSecond));
        expect(await recoverCheckpoint(dir)).toEqual(checkpoint(afterSecond));
        const left = (await readdir(root)).filter((name) => name.startsWith(`ckpt-${cases - 1}`));
        expect(left).toEqual([`ckpt-${cases - 1}`]);
      }
    }
    expect(cases).toBe(CHECKPOINT_WRITE_POINTS.length ** 2);
  });
});
