// Folders a client names for output (a cluster bundle, an export's file): resolved, refused inside the
// pseudo-filesystems (/proc, /sys, /dev: Node 20's recursive mkdir loops forever under /proc), created one
// level at a time, and checked writable; every refusal is one line naming the path, before any work.
import { constants } from 'node:fs';
import { access, mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** Kernel and device filesystems: nothing a user means to write a bundle or an export into. */
export const PSEUDO_FILESYSTEM_ROOTS = ['/proc', '/sys', '/dev'] as const;

/** At most this many missing folders are created under the nearest existing one. */
const MAX_NEW_LEVELS = 16;

export class OutputPathError extends Error {}

function insideRoot(target: string, root: string): boolean {
  return target === root || target.startsWith(`${root}/`);
}

function refuseInsidePseudoFilesystem(what: string, shown: string, target: string): void {
  if (path.sep !== '/') return;
  const root = PSEUDO_FILESYSTEM_ROOTS.find((r) => insideRoot(target, r));
  if (root)
    throw new OutputPathError(
      `${what}: ${shown} is inside ${root}, a system folder; choose a folder of yours`,
    );
}

async function existingKind(target: string): Promise<'folder' | 'file' | 'missing'> {
  try {
    return (await stat(target)).isDirectory() ? 'folder' : 'file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    throw new OutputPathError(`${path.resolve(target)}: cannot be checked (${code ?? 'error'})`);
  }
}

/**
 * Checks that `dir` can hold output and creates it (and at most a few missing parents), never through a
 * pseudo-filesystem or a symbolic link into one. `what` names the field or option in messages ("outDir",
 * "--out"). Returns the absolute path.
 */
export async function prepareOutputFolder(dir: string, what: string): Promise<string> {
  if (dir.trim() === '') throw new OutputPathError(`${what}: the path is empty`);
  if (dir.includes('\0')) throw new OutputPathError(`${what}: the path contains a NUL character`);
  const resolved = path.resolve(dir);
  refuseInsidePseudoFilesystem(what, resolved, resolved);
  const missing: string[] = [];
  let existing = resolved;
  for (;;) {
    const kind = await existingKind(existing);
    if (kind === 'folder') break;
    if (kind === 'file') throw new OutputPathError(`${what}: ${existing} is a file, not a folder`);
    missing.unshift(existing);
    const parent = path.dirname(existing);
    if (parent === existing || missing.length > MAX_NEW_LEVELS)
      throw new OutputPathError(`${what}: ${resolved} is too far from any existing folder`);
    existing = parent;
  }
  // A symbolic link may lead anywhere: judge where the existing part really is.
  refuseInsidePseudoFilesystem(what, resolved, await realpath(existing));
  try {
    await access(existing, constants.W_OK);
  } catch {
    throw new OutputPathError(`${what}: ${existing} is not writable`);
  }
  for (const level of missing) {
    try {
      await mkdir(level);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST')
        throw new OutputPathError(`${what}: cannot create ${level} (${code ?? 'error'})`);
    }
  }
  return resolved;
}

/** For a file to be written: its folder is prepared as above; returns the file's absolute path. */
export async function prepareOutputFile(file: string, what: string): Promise<string> {
  if (file.trim() === '') throw new OutputPathError(`${what}: the path is empty`);
  const resolved = path.resolve(file);
  await prepareOutputFolder(path.dirname(resolved), what);
  if ((await existingKind(resolved)) === 'folder')
    throw new OutputPathError(`${what}: ${resolved} is a folder; name a file`);
  return resolved;
}
