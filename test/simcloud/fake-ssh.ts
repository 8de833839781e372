import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * An ssh program for builds of ssh git URLs, since no sshd runs here (simcloud's
 * SIMCLOUD_GIT_SSH_COMMAND / gitSshCommand). It does what a server's authorized_keys check does —
 * accepts only `key`, from a file only its owner can read — then runs the command git asked the
 * remote for (git-upload-pack on the bare repository): a real clone over git's ssh transport.
 */
export interface FakeSsh {
  /** The program to configure. */
  program: string;
  /** One line per connection: `key=<the -i file> mode=<its mode>`. */
  calls(): string[];
  remove(): void;
}

export function fakeSsh(key: string): FakeSsh {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-ssh-'));
  const expectedKey = path.join(dir, 'expected-key');
  const seen = path.join(dir, 'calls');
  const program = path.join(dir, 'ssh');
  writeFileSync(expectedKey, key.endsWith('\n') ? key : `${key}\n`);
  writeFileSync(seen, '');
  writeFileSync(
    program,
    `#!/bin/sh
key=""
while [ $# -gt 1 ]; do
  case "$1" in
    -i) key="$2"; shift 2 ;;
    -o|-p|-l) shift 2 ;;
    -*) shift ;;
    *) shift; break ;;
  esac
done
echo "key=$key mode=$( [ -n "$key" ] && stat -c %a "$key" )" >> '${seen}'
if [ -z "$key" ] || [ "$(stat -c %a "$key")" != 600 ] || ! cmp -s "$key" '${expectedKey}'; then
  echo "git@example.test: Permission denied (publickey)." >&2
  exit 255
fi
exec sh -c "$*"
`,
  );
  chmodSync(program, 0o755);
  return {
    program,
    calls: () => readFileSync(seen, 'utf8').trim().split('\n').filter(Boolean),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A made-up key in OpenSSH form (never a real one: the fake ssh only compares bytes). */
export const TEST_SSH_KEY = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  'QyNTUxOQAAACBzaW1jbG91ZC10ZXN0LWtleS1ub3QtYS1yZWFsLW9uZQAAAJiY9w0KmPcN',
  '-----END OPENSSH PRIVATE KEY-----',
].join('\n');
