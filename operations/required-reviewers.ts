import { printable } from '../text/printable';
import { StepFailure } from './step-failure';

/**
 * The first step of a GitHub apply job: the job's environment must have a required reviewer, or the apply
 * would start unreviewed right after the plan. GitHub offers required reviewers on environments of private
 * and internal repositories with GitHub Enterprise only (docs "Managing environments for deployment"); an
 * environment without them is no gate at all. Read through the REST API with the job's own token
 * (GET /repos/{owner}/{repo}/environments/{name}: protection_rules of type required_reviewers, readable
 * with `actions: read`), and failing closed: an answer that cannot be read, or a rule without a reviewer,
 * stops the job, naming the setting. The environment file may accept unreviewed applies in writing
 * (pipeline.github.allowUnreviewedApply, passed as ALLOW_UNREVIEWED_APPLY).
 */
export type GithubGet = (url: string, token: string) => Promise<{ status: number; body: unknown }>;

export const githubGet: GithubGet = async (url, token) => {
  const response = await fetch(url, {
    headers: { Accept: 'application/vnd.github+json', Authorization: `Bearer ${token}`, 'X-GitHub-Api-Version': '2022-11-28' },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text.length < 1024 * 1024 ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
};

export async function requireReviewers(env: NodeJS.ProcessEnv, get: GithubGet = githubGet, log: (line: string) => void = (l) => process.stdout.write(`${printable(l)}\n`)): Promise<void> {
  const environment = env.APPLY_ENVIRONMENT ?? '';
  const repository = env.GITHUB_REPOSITORY ?? '';
  if (!/^[A-Za-z0-9_.-]{1,255}$/.test(environment) || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
    throw new StepFailure('APPLY_ENVIRONMENT or GITHUB_REPOSITORY is not set as the generated workflow sets it; the apply does not start');
  }
  if (env.ALLOW_UNREVIEWED_APPLY && env.ALLOW_UNREVIEWED_APPLY.trim().length >= 10) {
    log(`GitHub environment ${environment}: applies without a required reviewer are accepted (pipeline.github.allowUnreviewedApply: ${env.ALLOW_UNREVIEWED_APPLY})`);
    return;
  }
  const token = env.GITHUB_TOKEN ?? '';
  if (!token) throw new StepFailure('GITHUB_TOKEN is not given to this step; the reviewers of the apply environment cannot be checked, so the apply does not start');
  const api = env.GITHUB_API_URL && /^https:\/\/[A-Za-z0-9.-]+(\/[\w./-]*)?$/.test(env.GITHUB_API_URL) ? env.GITHUB_API_URL : 'https://api.github.com';
  const { status, body } = await get(`${api}/repos/${repository}/environments/${encodeURIComponent(environment)}`, token);
  const fix = `Fix: add a required reviewer to GitHub environment ${environment} (Settings, Environments; on a private or internal repository this needs GitHub Enterprise), or set pipeline.github.allowUnreviewedApply in the environment's file to why unreviewed applies are acceptable`;
  if (status !== 200) throw new StepFailure(`GitHub answered ${status} for environment ${environment}, so its reviewers cannot be checked; the apply does not start. ${fix} (the job needs permissions: actions: read)`);
  const rules = (body as { protection_rules?: unknown })?.protection_rules;
  const reviewers = Array.isArray(rules)
    ? rules.filter((r): r is { type: string; reviewers?: unknown } => !!r && typeof r === 'object' && (r as { type?: unknown }).type === 'required_reviewers').flatMap((r) => (Array.isArray(r.reviewers) ? r.reviewers : []))
    : [];
  if (reviewers.length === 0) throw new StepFailure(`GitHub environment ${environment} has no required reviewer: this apply would run unreviewed right after its plan, so it does not start. ${fix}`);
  log(`GitHub environment ${environment}: ${reviewers.length} required reviewer(s) approved this apply`);
}
