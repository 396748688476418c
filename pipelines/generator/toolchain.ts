import { trailing, type Trailing } from './yaml-text';

/**
 * Every tool and action the generated pipelines use, at one place: updating one is one edit here and
 * `npm run pipelines`. Renovate keeps the table current (renovate.json, a regex manager on the lines
 * below: github-tags for the actions, with their commit digests; github-releases for Terraform), so a
 * bot's pull request changes this file and the regenerated pipelines together; a change of the generated
 * files alone would only fail the staleness test.
 *
 * Actions are referenced by full commit SHA, the version in a comment beside it: a tag can be moved to
 * other code, a commit cannot. Each is the newest release of a major that runs on Node 24 (GitHub has
 * stopped running actions on Node 20).
 */
export interface PinnedAction {
  /** owner/name */
  readonly action: string;
  readonly version: string;
  /** The release's commit. */
  readonly sha: string;
}

export const ACTIONS = {
  checkout: { action: 'actions/checkout', version: 'v7.0.1', sha: '3d3c42e5aac5ba805825da76410c181273ba90b1' },
  setupNode: { action: 'actions/setup-node', version: 'v7.0.0', sha: '820762786026740c76f36085b0efc47a31fe5020' },
  uploadArtifact: { action: 'actions/upload-artifact', version: 'v7.0.0', sha: 'bbbca2ddaa5d8feaa63e36b76fdaad77386f024f' },
  downloadArtifact: { action: 'actions/download-artifact', version: 'v8.0.1', sha: '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c' },
  setupTerraform: { action: 'hashicorp/setup-terraform', version: 'v4.0.1', sha: 'dfe3c3f87815947d99a8997f908cb6525fc44e9e' },
  azureLogin: { action: 'azure/login', version: 'v3.0.1', sha: 'f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca' },
} as const satisfies Record<string, PinnedAction>;

export const TOOLCHAIN = {
  /**
   * Terraform in both pipelines: 1.16.4 (2026-09-23), the newest release of the newest minor line when this
   * was pinned. A current release gets Terraform's own fixes; the stacks use nothing newer than 1.7
   * (mock_provider in the tests), so local tests keep using whatever `terraform` is installed.
   */
  terraform: '1.16.4',
  /**
   * The Node LTS line the pipelines run on (the project supports 22, 24 and 26; package.json "engines"):
   * 24, the line GitHub's own actions run on.
   */
  node: '24',
} as const;

/** `uses:` of a pinned action: the commit, never a tag, with the release it is in a comment after it. */
export function uses(pinned: PinnedAction): Trailing {
  return trailing(`${pinned.action}@${pinned.sha}`, pinned.version);
}
