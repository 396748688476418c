import type { DeployedCertificate } from '../rotation/deployed-certificates';
import { ecKeyRefusals } from '../rotation/ec-key-risk';
import { refusals, rotationPlan, type RotationLine, type RotationOverrides } from '../rotation/rotation-plan';
import { type CheckedSource, declaredPolicy } from './certificate-sources';

/**
 * The review before every plan (workstation, pipelines, npm run cert:rotation): what each checked file does
 * to the certificate Key Vault holds, and the changes refused before Terraform plans them: a policy
 * change or a file whose key is not the declared one (azurerm would call CreateCertificate), an EC key the
 * environment did not accept, an earlier expiry (or one that cannot be judged) unless allowed.
 */
export function reviewRotation(checked: readonly CheckedSource[], deployed: readonly DeployedCertificate[], overrides: RotationOverrides): { lines: RotationLine[]; refused: string[] } {
  const lines = rotationPlan(
    checked.map((s) => ({ name: s.certificate.name, details: s.details, declared: declaredPolicy(s.certificate) })),
    deployed,
  );
  const refused = [...refusals(lines, overrides), ...ecKeyRefusals(checked.map((s) => ({ name: s.certificate.name, fileKeyType: s.details.keyType, ecKeyReason: s.certificate.ecKeyReason })))];
  return { lines, refused };
}

/**
 * The overrides a run was given. Azure DevOps renders a boolean parameter as True/False, GitHub an input as
 * true/false or nothing, and an unknown Azure DevOps variable arrives as the text $(name): only 1 or true
 * allows an earlier expiry. ALLOW_POLICY_CHANGE lists certificate names, separated by commas.
 */
export function rotationOverrides(env: NodeJS.ProcessEnv, extra: { allowEarlierExpiry?: boolean; allowPolicyChange?: readonly string[] } = {}): RotationOverrides {
  const allowEarlierExpiry = extra.allowEarlierExpiry === true || /^(1|true)$/i.test(env.ALLOW_EARLIER_EXPIRY ?? '');
  const names = [...(extra.allowPolicyChange ?? []), ...(env.ALLOW_POLICY_CHANGE ?? '').split(',')].map((n) => n.trim().toLowerCase()).filter((n) => /^[a-z0-9*-]+$/.test(n));
  return { allowEarlierExpiry, allowPolicyChange: new Set(names) };
}
