#!/usr/bin/env node
// The `provisio` command: runs cli/main.ts through tsx (a dependency), in this process.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
