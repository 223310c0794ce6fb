/**
 * File-system errors that reach the top of the command line (a read-only or full output folder, a missing path) as
 * one line naming the path and what to do, with an exit code from src/util/exit.ts.
 */
import { EXIT } from '../util/exit.js';

/** Node's file-system error codes that are the environment's or the user's doing, with what to do about them. */
const FS_ADVICE: Record<string, [exit: number, what: string, advice: string]> = {
  EACCES: [EXIT.USAGE, 'permission denied', 'choose a folder you can write (--out) or fix its permissions'],
  EPERM: [EXIT.USAGE, 'operation not permitted', 'choose a folder you can write (--out) or fix its permissions'],
  EROFS: [EXIT.USAGE, 'read-only file system', 'choose a writable folder (--out, or TMPDIR for scratch files)'],
  ENOSPC: [EXIT.RUNTIME, 'no space left on the device', 'free space there or choose another folder (--out, TMPDIR); --resume continues the run'],
  EDQUOT: [EXIT.RUNTIME, 'disk quota exceeded', 'free space there or choose another folder (--out, TMPDIR)'],
  ENOENT: [EXIT.USAGE, 'no such file or folder', 'check the path'],
  EISDIR: [EXIT.USAGE, 'is a folder, a file was expected', 'give a file path'],
  ENOTDIR: [EXIT.USAGE, 'a part of the path is not a folder', 'check the path'],
  EEXIST: [EXIT.USAGE, 'exists and is not a folder', 'remove it or choose another path'],
  EMFILE: [EXIT.RUNTIME, 'too many open files', 'raise the limit (ulimit -n) or use fewer --workers'],
  ENAMETOOLONG: [EXIT.USAGE, 'path too long', 'choose a shorter path'],
};

/** A file-system error as [exit code, one line], or undefined when it is not one. */
export function describeFsError(err: unknown): [number, string] | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as NodeJS.ErrnoException;
  if (typeof e.code !== 'string' || !(e.code in FS_ADVICE)) return undefined;
  const [exit, what, advice] = FS_ADVICE[e.code]!;
  const path = e.path ?? (e as { dest?: string }).dest;
  if (path === undefined && e.syscall === undefined) return undefined;
  return [exit, `${path !== undefined ? `${path}: ` : ''}${what} (${e.code}${e.syscall ? ` in ${e.syscall}` : ''}); ${advice}`];
}

