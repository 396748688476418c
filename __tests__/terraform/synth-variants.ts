import { App } from 'cdktf';
import { loadEnvironments } from '../../config/load-environments';
import { EnvironmentStack } from '../../config/environment-stack';
import { variantEnvironments } from './variants';

// node scripts/run.js __tests__/terraform/synth-variants.ts <outdir>
const outdir = process.argv[2];
if (!outdir) throw new Error('usage: synth-variants.ts <outdir>');
const app = new App({ outdir });
const configs = loadEnvironments(variantEnvironments.map((config) => ({ file: '__tests__/terraform/variants.ts', config })));
for (const config of configs) new EnvironmentStack(app, config);
app.synth();
