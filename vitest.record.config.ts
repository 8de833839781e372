import { defineConfig } from 'vitest/config';
import base from './vitest.config';

/** `npm run record-histories`: the history recorder alone, with the same global setup as the tests. */
export default defineConfig({ ...base, test: { ...base.test, include: ['test/replay/*.rec.ts'] } });
