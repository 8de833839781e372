/**
 * Bundles the workflow code once (webpack, through the Temporal SDK) into one file, so a worker
 * started with WORKFLOW_BUNDLE_PATH pointing at it loads in a second instead of bundling at start.
 * The Dockerfile runs it at image build time:
 *
 *   node --import tsx scripts/bundle-workflows.ts dist/workflow-bundle.js
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../worker/operation-metrics';
import { projectRoot } from './processes';

const out = path.resolve(process.argv[2] ?? path.join(projectRoot, 'dist', 'workflow-bundle.js'));
const started = Date.now();
// The same workflow interceptors a worker adds when it bundles at start (worker/factory.ts).
const { code } = await bundleWorkflowCode({
  workflowsPath: path.join(projectRoot, 'workflows', 'index.ts'),
  workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
});
await fs.mkdir(path.dirname(out), { recursive: true });
await fs.writeFile(out, code);
console.log(`workflow bundle ${out} (${(code.length / 1024).toFixed(0)} KiB, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
