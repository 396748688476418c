import { Testing } from 'cdktf';
import type { EnvironmentConfig } from '../../config/environment-config';
import { EnvironmentStack } from '../../config/environment-stack';

/** A complete environment in which everything is created: the base each test changes one thing of. */
export const baseEnvironment: EnvironmentConfig = {
  name: 'unit',
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  location: 'westeurope',
  resourceGroup: { name: 'rg-unit' },
  keyVault: { name: 'kv-unit' },
  apiManagement: { name: 'apim-unit', publisherName: 'Unit Test', publisherEmail: 'unit@example.com' },
  deployers: [{ objectId: '11111111-1111-1111-1111-111111111111', type: 'ServicePrincipal', description: 'pipeline' }],
  certificates: [{ name: 'mtls-backend' }],
};

export interface SynthesizedStack {
  readonly json: string;
  readonly tf: {
    resource?: Record<string, Record<string, any>>;
    data?: Record<string, Record<string, any>>;
    variable?: Record<string, any>;
    output?: Record<string, any>;
    provider?: Record<string, any[]>;
    terraform?: any;
  };
  readonly stack: EnvironmentStack;
}

/** Synthesizes one environment with cdktf's validations on, returning the JSON and the parsed object. */
export function synthEnvironment(changes: Partial<EnvironmentConfig> = {}): SynthesizedStack {
  const app = Testing.app();
  const stack = new EnvironmentStack(app, { ...baseEnvironment, ...changes });
  const json = Testing.synth(stack, true);
  return { json, tf: JSON.parse(json), stack };
}

/** The one block of a type, failing loudly when there are none or several. */
export function only(blocks: Record<string, any> | undefined, type: string): any {
  const values = Object.values(blocks?.[type] ?? {});
  if (values.length !== 1) throw new Error(`expected exactly one ${type}, found ${values.length}`);
  return values[0];
}

/** A block by type and the end of its logical id ("ApimSecretRead-mtls-backend"). */
export function named(blocks: Record<string, any> | undefined, type: string, suffix: string): any {
  const entries = Object.entries(blocks?.[type] ?? {}).filter(([name]) => name.endsWith(suffix));
  if (entries.length !== 1) throw new Error(`expected one ${type} ending in ${suffix}, found ${entries.map(([n]) => n).join(', ') || 'none'}`);
  return entries[0][1];
}
