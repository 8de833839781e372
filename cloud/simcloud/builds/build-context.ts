import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * The files of a clone, as COPY and ADD see them: paths relative to the repository root,
 * without .git. Sources match like Docker's (Go's filepath.Match: `*` and `?` stay within one
 * path segment, `[...]` is a class); a directory, or a pattern matching one, copies its contents.
 */
export class BuildContext {
  private files: Promise<string[]> | null = null;

  constructor(private readonly root: string) {}

  /** The files a source names; throws when it leaves the context. */
  async match(source: string): Promise<string[]> {
    const rel = path.posix.normalize(source.replace(/^\/+/, ''));
    if (rel === '..' || rel.startsWith('../')) throw new Error(`forbidden path outside the build context: ${source}`);
    const all = await this.list();
    if (rel === '.' || rel === '') return all;
    const matches = /[*?[]/.test(rel) ? matcher(rel) : (p: string) => p === rel;
    // A file matches when it, or a directory above it, matches.
    return all.filter((file) => {
      for (let p = file; p !== '.'; p = path.posix.dirname(p)) if (matches(p)) return true;
      return false;
    });
  }

  private list(): Promise<string[]> {
    return (this.files ??= readdir(this.root, { recursive: true, withFileTypes: true }).then((entries) =>
      entries
        .filter((e) => e.isFile() || e.isSymbolicLink())
        .map((e) => path.relative(this.root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
        .filter((p) => p !== '.git' && !p.startsWith('.git/'))
        .sort(),
    ));
  }
}

/** Go's filepath.Match as a RegExp over '/'-separated paths. */
function matcher(pattern: string): (p: string) => boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/^[!^]/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else if (ch === '\\' && i + 1 < pattern.length) re += escape(pattern[++i]!);
    else re += escape(ch);
  }
  const regex = new RegExp(`^${re}$`);
  return (p) => regex.test(p);
}

const escape = (ch: string) => ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
