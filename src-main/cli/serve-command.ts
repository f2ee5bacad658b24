// `dpo-workbench serve`: the workbench in browser mode, on 127.0.0.1 unless told otherwise.
import path from 'node:path';
import type { Command } from 'commander';
import { defaultDataDir } from '../services/data-dir';
import { openWorkbench, SERVER_DATA_OFFLOAD } from '../services/open-workbench';
import { findProjectRoot } from '../services/project-root';
import { createHandlerRegistry } from '../transport/handler-registry';
import { isLoopbackHost, startHttpServer } from '../transport/http-transport';
import { parsePort } from './parse-options';

interface ServeOptions {
  host: string;
  port: number;
  dataDir: string;
  token?: string;
  modelRoot?: string[];
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the workbench to a browser (browser mode)')
    .option('--host <host>', 'address to bind; anything but loopback requires the printed token', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', parsePort, 8787)
    .option('--data-dir <dir>', 'data folder (database, models, runs)', defaultDataDir())
    .option('--token <token>', 'use this access token instead of a random one (non-loopback only)')
    .option(
      '--model-root <dir>',
      'a folder models may be imported from (repeatable); beyond loopback only these (default: the data folder)',
      (value: string, previous: string[] = []) => [...previous, path.resolve(value)],
    )
    .action(async (options: ServeOptions) => {
      const dataDir = path.resolve(options.dataDir);
      // Beyond loopback, importModel must not become a way to probe the server's disk.
      const modelRoots = options.modelRoot ?? (isLoopbackHost(options.host) ? undefined : [dataDir]);
      const workbench = openWorkbench({
        dataDir,
        transport: 'http',
        ...(modelRoots ? { modelRoots } : {}),
        offloadData: SERVER_DATA_OFFLOAD,
      });
      const running = await startHttpServer({
        registry: createHandlerRegistry(workbench.services),
        events: workbench.events,
        host: options.host,
        port: options.port,
        staticDir: path.join(findProjectRoot(), 'dist-web'),
        token: options.token,
      });
      const openUrl = running.token ? `${running.url}?token=${running.token}` : running.url;
      console.log(`DPO Workbench is serving ${running.url} (data folder: ${dataDir})`);
      if (!isLoopbackHost(options.host))
        console.log(`Bound beyond loopback: open ${openUrl} (the token is required)`);
      else console.log(`Open ${openUrl}`);
      const stop = async () => {
        // A request still running (a long import) must not keep the process alive past the signal.
        setTimeout(() => process.exit(0), 1500).unref();
        await running.close();
        workbench.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
