import { ConfigurationError } from '../../constructs/configuration-error';
import { CONVENTIONS, resolvePipelineEnvironment } from './conventions';
import type { EnvironmentFile } from './pipeline-settings';

interface NameRule {
  readonly test: (value: string) => boolean;
  readonly rule: string;
  readonly fix: string;
}

// The generated files put these names into YAML (written by a YAML library, so quoting is not the
// concern) and some into shell scripts and log lines, and the CI systems read "$(", "${{" and "$[" in
// a value as expressions: so each name is held to the characters its system allows, or fewer.
const RULES = {
  environmentName: {
    test: (v) => /^[a-z][a-z0-9-]{0,31}$/.test(v),
    rule: 'must be 1-32 lowercase letters, digits and hyphens, starting with a letter (it names the stages, jobs and artifacts)',
    fix: 'use a short name such as "dev"',
  },
  certificateName: {
    test: (v) => /^[A-Za-z][A-Za-z0-9-]{0,126}$/.test(v),
    rule: 'must be letters, digits and hyphens, starting with a letter',
    fix: 'use a name such as "mtls-backend"',
  },
  azureDevOpsName: {
    test: (v) => /^[A-Za-z0-9_.()-]([A-Za-z0-9 _.()-]{0,126}[A-Za-z0-9_.()-])?$/.test(v),
    rule: 'must be 1-128 letters, digits, spaces (not first or last), "_", ".", "(", ")" and "-"',
    fix: 'use the name as Azure DevOps shows it, without other characters',
  },
  guid: {
    test: (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
    rule: 'must be a GUID: the service connection\'s id, the resourceId in its URL',
    fix: 'leave it out: AzureCLI@2 gives Terraform the id of the service connection it logged in with'
  },
  azureDevOpsVariable: {
    // System., Agent., Build., Pipeline. and Release. are Azure DevOps' own predefined variables: a secret
    // named so would be shadowed by, or shadow, what the agent sets (System.AccessToken among them).
    test: (v) => /^[A-Za-z_][A-Za-z0-9_.]{0,127}$/.test(v) && !/^(system|agent|build|pipeline|release)\./i.test(v),
    rule: 'must be an Azure DevOps variable name: letters, digits, "_" and ".", not starting with a digit, and outside the System., Agent., Build., Pipeline. and Release. namespaces Azure DevOps keeps for its own variables',
    fix: 'use a name such as "mtls_backend_pfx_password"',
  },
  githubSecretPrefix: {
    test: (v) => /^[A-Z_][A-Z0-9_]{0,80}$/.test(v) && !v.startsWith('GITHUB_'),
    rule: 'must be upper-case letters, digits and "_", not starting with a digit or GITHUB_ (GitHub secret names)',
    fix: 'use a name such as "MTLS_BACKEND"',
  },
  githubName: {
    test: (v) => /^[A-Za-z0-9_.-]{1,255}$/.test(v),
    rule: 'must be 1-255 letters, digits, "_", "." and "-"',
    fix: 'use a name such as "prod" or "prod-plan"',
  },
} satisfies Record<string, NameRule>;

/**
 * Every problem with the environments' pipeline settings, each naming the file and field: names that
 * the CI systems or the generated scripts cannot take, and names that two things would share (two
 * certificates of one secret, a plan job sharing the reviewers' GitHub environment).
 */
export function pipelineSettingsProblems(sources: readonly EnvironmentFile[]): ConfigurationError[] {
  const problems: ConfigurationError[] = [];
  const githubEnvironments = new Map<string, string>();
  const sharedAcrossEnvironments = new Map<string, { file: string; allowSharing: boolean }>();
  const names = new Map<string, string>();
  for (const source of sources) {
    const { file } = source;
    const config = source.config;
    const report = (field: string, value: unknown, rule: string, fix: string) => problems.push(new ConfigurationError({ source: file, field, value, rule, fix }));
    const check = (field: string, value: unknown, rule: NameRule) => {
      if (value !== undefined && (typeof value !== 'string' || !rule.test(value))) report(field, value, rule.rule, rule.fix);
    };
    const checkBoolean = (field: string, value: unknown) => {
      if (value !== undefined && typeof value !== 'boolean') report(field, value, 'must be true or false', 'write true or false, unquoted');
    };

    check('name', config.name ?? '', RULES.environmentName);
    const sameName = names.get(config.name);
    if (sameName) report('name', config.name, `is already the name of the environment in ${sameName}`, 'give each environment its own name');
    else names.set(config.name, file);
    const certificates = Array.isArray(config.certificates) ? config.certificates : [];
    if (!Array.isArray(config.certificates)) report('certificates', config.certificates, 'must be a list', 'write certificates: [...]');
    certificates.forEach((c, i) => {
      check(`certificates[${i}].name`, c.name ?? '', RULES.certificateName);
      if (c.format !== undefined && c.format !== 'pfx' && c.format !== 'pem') report(`certificates[${i}].format`, c.format, 'must be "pfx" or "pem"', 'write "pfx" (a PKCS#12 file) or "pem" (chain and key)');
      check(`certificates[${i}].secureFile`, c.secureFile, RULES.azureDevOpsName);
      check(`certificates[${i}].passwordVariable`, c.passwordVariable, RULES.azureDevOpsVariable);
      if (c.passwordVariable !== undefined && c.format === 'pem') report(`certificates[${i}].passwordVariable`, c.passwordVariable, 'is set on a PEM certificate, which has no password', 'remove it');
      check(`certificates[${i}].githubSecretPrefix`, c.githubSecretPrefix, RULES.githubSecretPrefix);
    });

    const pipeline = config.pipeline;
    if (pipeline?.order !== undefined && (typeof pipeline.order !== 'number' || !Number.isFinite(pipeline.order))) {
      report('pipeline.order', pipeline.order, 'must be a number', 'write a number such as 10; lower deploys first');
    }
    const ado = pipeline?.azureDevOps;
    check('pipeline.azureDevOps.serviceConnection', ado?.serviceConnection, RULES.azureDevOpsName);
    check('pipeline.azureDevOps.serviceConnectionId', ado?.serviceConnectionId, RULES.guid);
    checkBoolean('pipeline.azureDevOps.allowSharing', ado?.allowSharing);
    check('pipeline.azureDevOps.variableGroup', ado?.variableGroup, RULES.azureDevOpsName);
    check('pipeline.azureDevOps.environment', ado?.environment, RULES.azureDevOpsName);
    checkBoolean('pipeline.azureDevOps.agentNetworkAccess', ado?.agentNetworkAccess);
    if (ado?.pool !== undefined) {
      const keys = typeof ado.pool === 'object' && ado.pool ? Object.keys(ado.pool) : [];
      if (keys.length !== 1 || !['vmImage', 'name'].includes(keys[0])) {
        report('pipeline.azureDevOps.pool', ado.pool, 'must be { vmImage: "<image>" } or { name: "<pool>" }', 'write { vmImage: "ubuntu-24.04" } for Microsoft-hosted agents, or { name: "<pool>" }');
      } else {
        check(`pipeline.azureDevOps.pool.${keys[0]}`, (ado.pool as Record<string, unknown>)[keys[0]], RULES.azureDevOpsName);
      }
    }
    const gh = pipeline?.github;
    check('pipeline.github.environment', gh?.environment, RULES.githubName);
    check('pipeline.github.planEnvironment', gh?.planEnvironment, RULES.githubName);
    check('pipeline.github.runsOn', gh?.runsOn, RULES.githubName);
    checkBoolean('pipeline.github.agentNetworkAccess', gh?.agentNetworkAccess);
    if (gh?.allowUnreviewedApply !== undefined && (typeof gh.allowUnreviewedApply !== 'string' || gh.allowUnreviewedApply.trim().length < 10)) {
      report('pipeline.github.allowUnreviewedApply', gh.allowUnreviewedApply, 'must say why this environment\'s apply may run without a required reviewer (at least 10 characters)', 'write the reason, e.g. "personal sandbox, nothing shared"; or give its GitHub environment a required reviewer and remove the setting');
    }
    if (problems.some((p) => p.source === file)) continue;

    // Names that must differ, once the conventions have filled in the rest.
    const resolved = resolvePipelineEnvironment(source);
    const distinct = (what: string, entries: readonly (readonly [field: string, value: string | undefined])[], fix: string) => {
      const seen = new Map<string, string>();
      for (const [field, value] of entries) {
        if (value === undefined) continue;
        const first = seen.get(value.toLowerCase());
        if (first) report(field, value, `is also the ${what} of ${first}`, fix);
        else seen.set(value.toLowerCase(), field);
      }
    };
    const certificateField = (i: number, setting: string) => `certificates[${i}].${setting} (${resolved.certificates[i].name})`;
    distinct(
      'secure file',
      resolved.certificates.map((c, i) => [certificateField(i, 'secureFile'), c.secureFile]),
      'give each certificate its own secure file',
    );
    distinct(
      'variable',
      [
        ['(the plan encryption key)', CONVENTIONS.planEncryptionKey],
        ...resolved.certificates.map((c, i) => [certificateField(i, 'passwordVariable'), c.passwordVariable] as const),
      ],
      'give each PFX its own passwordVariable',
    );
    distinct(
      'GitHub secret',
      [
        ['(the plan encryption key)', CONVENTIONS.planEncryptionKey],
        ...resolved.certificates.flatMap((c, i) => [
          [certificateField(i, 'githubSecretPrefix'), c.githubSecrets.file] as const,
          [certificateField(i, 'githubSecretPrefix'), c.githubSecrets.password] as const,
        ]),
      ],
      'give each certificate its own githubSecretPrefix',
    );
    // One Azure DevOps environment, variable group or secure file for two environments: an approval of one
    // gates the other, and one environment's secrets are the other's. Refused unless both allow it.
    for (const [what, value, field] of [
      ['Azure DevOps environment', resolved.azureDevOps.environment, 'pipeline.azureDevOps.environment'],
      ['variable group', resolved.azureDevOps.variableGroup, 'pipeline.azureDevOps.variableGroup'],
      ...resolved.certificates.map((c, i) => ['secure file', c.secureFile, `certificates[${i}].secureFile`] as const),
    ] as const) {
      const key = `${what}/${value.toLowerCase()}`;
      const first = sharedAcrossEnvironments.get(key);
      if (first && first.file !== file && !(first.allowSharing && resolved.azureDevOps.allowSharing)) {
        report(field, value, `is also the ${what} of ${first.file}: an approval or secret of one environment would be the other's`, `give each environment its own ${what}, or set pipeline.azureDevOps.allowSharing: true in both files if sharing is meant`);
      } else if (!first) {
        sharedAcrossEnvironments.set(key, { file, allowSharing: resolved.azureDevOps.allowSharing });
      }
    }
    // GitHub shows an environment's secrets to every job bound to it, and its reviewers gate every such
    // job: the plan needs an environment without reviewers, and no two environments may share secrets.
    for (const [field, value] of [
      ['pipeline.github.planEnvironment', resolved.github.planEnvironment],
      ['pipeline.github.environment', resolved.github.environment],
    ] as const) {
      const first = githubEnvironments.get(value.toLowerCase());
      if (first) report(field, value, `is also the GitHub environment of ${first}`, 'give each job its own GitHub environment: one for the plan, another (with the reviewers) for the apply');
      else githubEnvironments.set(value.toLowerCase(), `${field} of ${file}`);
    }
  }
  return problems;
}
