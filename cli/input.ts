import { readFile } from 'node:fs/promises';
import { usageError } from './errors';

/** The JSON document in the file an option names; a usage error naming the option when it cannot be read or parsed. */
export async function readJsonOption<T = unknown>(option: string, file: string): Promise<T> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    throw usageError(`${option}: ${(err as Error).message}`);
  }
}
