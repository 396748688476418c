import fs from 'node:fs';
import path from 'node:path';
import { itWith } from './support/required-tools';
import { PROJECT_ROOT } from './support/run-command';
import { projectWithEnvironments, qaEnvironment } from './support/test-project';

// The same sources on cdktf (the default: package.json) and on CDK Terrain (toolchains/cdktn, installed by
// `npm run toolchain -- cdktn`, docs/toolchain.md): the second manifest stays the first with only the
// cdktn swaps, and both synthesize the same stacks but for the provider pins and cdk's own version.

const manifest = (file: string) => JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8'));

// What toolchains/cdktn changes in the root manifest; every other dependency is the root's, at its version.
const CDKTN: Record<string, Record<string, string | undefined>> = {
  dependencies: {
    '@cdktf/provider-azurerm': 'npm:@cdktn/provider-azurerm@16.1.0',
    cdktf: 'file:node_modules/cdktn', // one copy under both names: see scripts/toolchain.js
    cdktn: '0.24.0',
    constructs: '10.6.0', // cdktn 0.24 wants >=10.6.0 <10.8.0
  },
  devDependencies: { 'cdktf-cli': undefined, 'cdktn-cli': '0.24.0' },
};

describe('toolchains/cdktn/package.json', () => {
  const base = manifest('package.json');
  const cdktn = manifest('toolchains/cdktn/package.json');
  for (const section of ['dependencies', 'devDependencies']) {
    it(`has the root's ${section} with only the cdktn swaps`, () => {
      const expected = Object.fromEntries(Object.entries({ ...base[section], ...CDKTN[section] }).filter(([, v]) => v !== undefined));
      expect(cdktn[section]).toEqual(expected);
    });
  }

  it('lets the bindings accept cdktn 0.24 under the names they peer on, on the same Node lines', () => {
    expect([cdktn.overrides, cdktn.engines]).toEqual([{ cdktf: '$cdktf', cdktn: '$cdktn' }, base.engines]);
  });

  it('has a lock file made from this manifest', () => {
    const lock = manifest('toolchains/cdktn/package-lock.json');
    expect(lock.packages[''].dependencies).toEqual(cdktn.dependencies);
    expect(lock.packages[''].devDependencies).toEqual(cdktn.devDependencies);
  });
});

// The other toolchain's installed node_modules: cdktn's when this run is on cdktf, the parked cdktf one when on cdktn.
const onCdktn = fs.lstatSync(path.join(PROJECT_ROOT, 'node_modules')).isSymbolicLink();
const other = path.join(PROJECT_ROOT, 'toolchains', onCdktn ? 'cdktf' : 'cdktn', 'node_modules');

describe('the stacks on both toolchains', () => {
  itWith(fs.existsSync(path.join(other, 'cdktf', 'package.json')), `the ${onCdktn ? 'cdktf' : 'cdktn'} toolchain (npm run toolchain -- cdktn, then back)`)(
    'are the same but for the provider pins and the cdk version in the metadata',
    () => {
      const environments = [qaEnvironment, { ...qaEnvironment, name: 'staging', keyVault: { name: 'kv-payments-staging' }, apiManagement: { ...qaEnvironment.apiManagement, name: 'apim-payments-staging' } }];
      const synth = (nodeModules: string) => {
        const project = projectWithEnvironments(environments);
        try {
          fs.rmSync(path.join(project.dir, 'node_modules'));
          fs.symlinkSync(nodeModules, path.join(project.dir, 'node_modules'));
          const result = project.run('scripts/synth.js', []);
          expect([result.status, result.stderr]).toEqual([0, '']);
          const stacks = path.join(project.dir, 'cdktf.out', 'stacks');
          return Object.fromEntries(fs.readdirSync(stacks).map((s) => [s, JSON.parse(fs.readFileSync(path.join(stacks, s, 'cdk.tf.json'), 'utf8'))]));
        } finally {
          project.remove();
        }
      };
      const pins = (stacks: Record<string, any>) =>
        Object.values(stacks).map((tf) => [tf['//'].metadata.version, tf.terraform.required_providers.azurerm.version, tf.terraform.required_providers.time.version]);
      const normalized = (stacks: Record<string, any>) => {
        const copy = structuredClone(stacks);
        for (const tf of Object.values<any>(copy)) {
          tf['//'].metadata.version = '<cdk>';
          for (const provider of Object.values<any>(tf.terraform.required_providers)) provider.version = '<pin>';
        }
        return copy;
      };
      const cdktf = synth(onCdktn ? other : fs.realpathSync(path.join(PROJECT_ROOT, 'node_modules')));
      const cdktn = synth(onCdktn ? fs.realpathSync(path.join(PROJECT_ROOT, 'node_modules')) : other);
      expect(pins(cdktf)).toEqual([
        ['0.21.0', '4.55.0', '0.13.1'],
        ['0.21.0', '4.55.0', '0.13.1'],
      ]);
      expect(pins(cdktn)).toEqual([
        ['0.24.0', '4.73.0', '0.13.1'],
        ['0.24.0', '4.73.0', '0.13.1'],
      ]);
      expect(normalized(cdktn)).toEqual(normalized(cdktf));
    },
    180_000,
  );
});
