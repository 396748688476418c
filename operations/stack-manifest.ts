import fs from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import type { DeploymentManifest } from '../config/deployment-manifest';
import { readBoundedFile } from './bounded-file';
import { StepFailure } from './step-failure';
import { parseJson } from './json-document';

// deployment.json travels in the pipeline's cdktf-out artifact: between synth and the steps that read it,
// anyone who can write that artifact could change it, so it is read like any input from outside: bounded,
// and every field checked for the shape the steps rely on before a value reaches az or a log.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,126}$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const IPV4_RULE = /^(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?$/;
const name = v.pipe(v.string(), v.regex(NAME));

const manifestSchema = v.object({
  environment: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]{0,31}$/)),
  subscriptionId: v.nullable(v.pipe(v.string(), v.regex(GUID))),
  keyVault: v.object({
    name: v.pipe(v.string(), v.regex(/^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$/)),
    resourceGroupName: v.pipe(v.string(), v.regex(/^[-\w.()]{1,90}$/)),
    created: v.boolean(),
    firewall: v.nullable(v.boolean()),
    ipRules: v.array(v.pipe(v.string(), v.regex(IPV4_RULE))),
    privateEndpoint: v.boolean(),
  }),
  apiManagement: v.object({
    name: v.pipe(v.string(), v.regex(/^[A-Za-z][A-Za-z0-9-]{0,49}$/)),
    resourceGroupName: v.pipe(v.string(), v.regex(/^[-\w.()]{1,90}$/)),
  }),
  resourceProviders: v.array(v.pipe(v.string(), v.regex(/^Microsoft\.[A-Za-z]+$/))),
  certificates: v.array(
    v.object({
      name,
      stem: v.pipe(v.string(), v.regex(/^[a-z0-9_]+$/)),
      source: v.picklist(['pfx', 'pem']),
      key: v.pipe(v.string(), v.regex(/^(RSA (2048|3072|4096)|EC (P-256|P-384|P-521|P-256K))$/)),
      ecKeyReason: v.optional(v.string()),
      backend: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/))),
    }),
  ),
  expiryWarnDays: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(365)),
});

export const MANIFEST_FILE = 'deployment.json';

/** The stack's deployment.json, shape-checked; a StepFailure naming the file and the fix otherwise. */
export function readStackManifest(stackDir: string): DeploymentManifest {
  const file = path.join(stackDir, MANIFEST_FILE);
  if (!fs.existsSync(file)) throw new StepFailure(`${file} is missing. Fix: run npm run synth (a pipeline: publish cdktf.out as synthesized)`);
  const parsed = readBoundedFile(file, 1024 * 1024, 'the stack manifest');
  const json = parseJson(parsed.toString('utf8'));
  if (!json.ok) throw new StepFailure(`${file} is not JSON (${json.where}). Fix: run npm run synth again`);
  const result = v.safeParse(manifestSchema, json.value);
  if (!result.success) {
    const issue = result.issues[0];
    const field = (issue.path ?? []).map((p) => p.key).join('.') || '(the document)';
    throw new StepFailure(`${file}: ${field} is not what npm run synth writes. Fix: run npm run synth again, and publish cdktf.out unchanged`);
  }
  return result.output;
}

