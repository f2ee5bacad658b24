// Development-only worker entry: registers tsx's TypeScript loader in this worker thread, then imports the
// real entry (workerData.entry, a .ts file). Node 20 workers do not inherit `--import tsx` hooks.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
