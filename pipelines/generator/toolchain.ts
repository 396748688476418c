/** The tool versions the generated pipelines install, the same in Azure DevOps and GitHub Actions. */
export const TOOLCHAIN = {
  /** Terraform, checked against HashiCorp's SHA-256 sums (pipelines/scripts/install-terraform.sh) in Azure DevOps. */
  terraform: '1.11.4',
  /** Node's major version (Node 20 is end-of-life). The Azure DevOps templates say 22.x themselves. */
  node: 22,
} as const;
