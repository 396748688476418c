import Ajv, { ValidateFunction } from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './run-command';

const OPTIONS = { strict: false, unicodeRegExp: false, allErrors: true } as const;

/**
 * Microsoft's Azure Pipelines schema (5 MB) as an ajv validator. Compiling it takes about 2.5 s, so the
 * compiled code is kept in node_modules/.cache under the SHA-256 of the schema, ajv's version and the
 * options, and loaded from there (about 0.2 s) while all three are the same.
 */
export function azurePipelinesValidator(schemaFile: string): ValidateFunction {
  const schemaText = fs.readFileSync(schemaFile, 'utf8');
  const ajvVersion = JSON.parse(fs.readFileSync(require.resolve('ajv/package.json'), 'utf8')).version;
  const key = crypto.createHash('sha256').update(`${schemaText}|${ajvVersion}|${JSON.stringify(OPTIONS)}`).digest('hex').slice(0, 16);
  const cached = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'azure-pipelines-schema', `${key}.js`);
  if (!fs.existsSync(cached)) {
    const ajv = new Ajv({ ...OPTIONS, code: { source: true } });
    const code = standaloneCode(ajv, ajv.compile(JSON.parse(schemaText)));
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    const tmp = `${cached}.${process.pid}`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, cached);
  }
  return require(cached) as ValidateFunction;
}

/**
 * A parsed pipeline as Microsoft's schema expects to see it. Azure DevOps reads every YAML scalar as a
 * string, and the schema says so for the pipeline's own keywords: a number such as timeoutInMinutes: 180
 * is a string to it, and its booleans are strings ("true", "false"; always: true of a schedule). A task's
 * inputs are typed by the task's definition instead, and there the schema wants booleans
 * (addSpnToEnvironment: true). The YAML parser makes numbers and booleans of them all.
 */
export function asAzureDevOpsReadsIt(node: unknown, inTaskInputs = false): unknown {
  if (typeof node === 'number' || (typeof node === 'boolean' && !inTaskInputs)) return String(node);
  if (Array.isArray(node)) return node.map((item) => asAzureDevOpsReadsIt(item, inTaskInputs));
  if (node && typeof node === 'object') {
    const isTask = 'task' in node;
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, asAzureDevOpsReadsIt(value, inTaskInputs || (isTask && key === 'inputs'))]));
  }
  return node;
}
