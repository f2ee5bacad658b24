// JobRunner: stored status, result and error; throttled progress; cancellation; interrupted at startup.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../../src-shared/api-jobs';
import { openTempDatabase, type TempDatabase } from '../../store/test-support';
import { EventBus } from './event-bus';
import { createJobsHandlers, JobRunner } from './job-runner';

let temp: TempDatabase;
let events: EventBus;
let seen: Job[];
beforeEach(() => {
  temp = openTempDatabase();
  events = new EventBus();
  seen = [];
  events.subscribe((event, payload) => {
    if (event === 'jobsChanged') seen.push(payload as Job);
  });
});
afterEach(() => temp.dispose());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('JobRunner', () => {
  it('stores a completed job with its payload and result, and announces each change', async () => {
    const runner = new JobRunner(temp.db, events);
    const id = runner.start('generate', { n: 2 }, async () => ({ candidates: 4 }));
    expect(runner.get(id)).toMatchObject({ kind: 'generate', status: 'running', payload: { n: 2 } });
    const done = await runner.wait(id);
    expect(done).toMatchObject({ status: 'completed', result: { candidates: 4 }, error: null });
    expect(seen.map((job) => job.status)).toEqual(['running', 'completed']);
    expect(runner.list().map((job) => job.id)).toEqual([id]);
    expect(runner.runningCount).toBe(0);
  });

  it('stores the error message of a failed job', async () => {
    const runner = new JobRunner(temp.db, events);
    const id = runner.start('train', {}, async () => {
      throw new Error('model.safetensors: truncated');
    });
    expect(await runner.wait(id)).toMatchObject({ status: 'failed', error: 'model.safetensors: truncated' });
  });

  it('stores at most one progress update per interval and always the last one', async () => {
    const runner = new JobRunner(temp.db, events, { progressIntervalMs: 50 });
    const id = runner.start('generate', {}, async (ctx) => {
      for (let i = 1; i <= 100; i += 1) ctx.progress(i, 100, `prompt ${i}`);
      await sleep(80);
      expect(runner.get(ctx.jobId)).toMatchObject({ progress: 100, total: 100, message: 'prompt 100' });
      return null;
    });
    await runner.wait(id);
    const progressEvents = seen.filter((job) => job.status === 'running' && job.progress > 0);
    // The first report lands at once, the other 99 fold into one after the interval.
    expect(progressEvents.map((job) => job.progress)).toEqual([1, 100]);
  });

  it('cancels a running job through its signal and says so for a finished one', async () => {
    const runner = new JobRunner(temp.db, events);
    const id = runner.start('generate', {}, (ctx) => {
      return new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted mid-token')));
      });
    });
    const handlers = createJobsHandlers(runner);
    await sleep(5);
    expect(await handlers.cancelJob({ jobId: id })).toEqual({ cancelled: true });
    expect(await runner.wait(id)).toMatchObject({ status: 'cancelled', error: 'cancelled' });
    expect(await handlers.cancelJob({ jobId: id })).toEqual({ cancelled: false });
    expect(() => handlers.cancelJob({ jobId: 99 })).toThrow('jobId: no job with id 99');
  });

  it('keeps the partial result of a job that returns early when cancelled', async () => {
    const runner = new JobRunner(temp.db, events);
    const id = runner.start('generate', {}, async (ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      return { candidates: 1 };
    });
    await sleep(5);
    runner.cancel(id);
    expect(await runner.wait(id)).toMatchObject({ status: 'cancelled', result: { candidates: 1 } });
  });

  it('fails a job whose result cannot be stored, and keeps running others', async () => {
    const runner = new JobRunner(temp.db, events);
    const id = runner.start('generate', {}, async () => ({ big: BigInt(1) }));
    expect(await runner.wait(id)).toMatchObject({
      status: 'failed',
      error: 'its result could not be stored: Do not know how to serialize a BigInt',
    });
    expect(runner.runningCount).toBe(0);
    const next = runner.start('generate', {}, async () => 2);
    expect(await runner.wait(next)).toMatchObject({ status: 'completed', result: 2 });
  });

  it('filters by kind, newest first', async () => {
    const runner = new JobRunner(temp.db, events);
    const a = runner.start('generate', {}, async () => 1);
    const b = runner.start('train', {}, async () => 2);
    const c = runner.start('generate', {}, async () => 3);
    await Promise.all([a, b, c].map((id) => runner.wait(id)));
    expect(runner.list({ kind: 'generate' }).map((job) => job.id)).toEqual([c, a]);
    expect(runner.list({ limit: 1 }).map((job) => job.id)).toEqual([c]);
  });

  it('marks jobs left running by a previous process as interrupted', async () => {
    const first = new JobRunner(temp.db, events);
    const id = first.start('train', {}, () => new Promise(() => undefined));
    let hookRan = false;
    first.onClose(async () => void (hookRan = true));
    first.close();
    expect(hookRan).toBe(true);
    expect(first.get(id)!.status).toBe('running');
    const second = new JobRunner(temp.db, events);
    expect(second.markInterruptedAtStartup()).toBe(1);
    expect(second.get(id)).toMatchObject({
      status: 'interrupted',
      error: 'the workbench closed while this job was running',
    });
    expect(() => first.start('train', {}, async () => 0)).toThrow('the workbench is closing');
  });
});
