// End-to-end harness: the real CLI server (`serve --port 0`) on a temporary data folder, and Debian's
// Chromium driven by playwright-core.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

export const ARTIFACTS_DIR = path.resolve('tests/e2e/artifacts');

/**
 * A screenshot for the docs: always written to the (ignored) artifacts folder; copied over docs/<name> only
 * when UPDATE_SCREENSHOTS=1, so an ordinary test run leaves the work tree clean.
 */
export async function docScreenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, name);
  await page.screenshot({ path: file, fullPage });
  if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(file, path.resolve('docs', name));
  return file;
}

export interface RunningServer {
  url: string;
  process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startServer(dataDir: string, port = 0): Promise<RunningServer> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src-main/cli/index.ts', 'serve', '--port', String(port), '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /is serving (http:\/\/\S+\/)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return {
    url,
    process: child,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** Calls one API method over HTTP, as the page would; a refused call throws with the server's reply. */
export async function callApi<T>(server: RunningServer, method: string, input: unknown): Promise<T> {
  const response = await fetch(`${server.url}api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  if (response.status !== 200)
    throw new Error(`${method}: HTTP ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

export interface OpenApp {
  server: RunningServer;
  browser: Browser;
  page: Page;
}

/** The served app on `dataDir`, open in one Chromium page (1280x860 unless `pageOptions` say otherwise). */
export async function openApp(
  dataDir: string,
  pageOptions: BrowserContextOptions = { viewport: { width: 1280, height: 860 } },
): Promise<OpenApp> {
  const server = await startServer(dataDir);
  try {
    const browser = await launchChromium();
    const page = await browser.newPage(pageOptions);
    await page.goto(server.url);
    return { server, browser, page };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** Closes what openApp opened (either part may be missing when it failed). */
export async function closeApp(app: Partial<Pick<OpenApp, 'server' | 'browser'>>): Promise<void> {
  await app.browser?.close();
  await app.server?.stop();
}
