// What the desktop window may open or navigate to, as pure functions main.ts wires into Electron: links
// leave the app (shell.openExternal) only for an allow-list of documentation origins, and the window stays
// on its own renderer, compared by origin (a prefix match lets http://localhost:5173.evil.example through).

/** https origins whose pages a link in the app may open in the user's browser: documentation it cites. */
export const EXTERNAL_LINK_ORIGINS: readonly string[] = [
  'https://onnxruntime.ai', // execution providers, CUDA requirements
  'https://developer.nvidia.com', // CUDA and cuDNN downloads
];

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** An https URL on an allow-listed origin (no credentials in it). */
export function isAllowedExternalLink(
  url: string,
  allowed: readonly string[] = EXTERNAL_LINK_ORIGINS,
): boolean {
  const parsed = parse(url);
  return (
    parsed !== undefined &&
    parsed.protocol === 'https:' &&
    parsed.username === '' &&
    parsed.password === '' &&
    allowed.includes(parsed.origin)
  );
}

/** Whether `url` has the same scheme, host and port as `base`. */
export function isSameOrigin(url: string, base: string): boolean {
  const a = parse(url);
  const b = parse(base);
  return a !== undefined && b !== undefined && a.origin !== 'null' && a.origin === b.origin;
}
