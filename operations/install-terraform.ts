import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { StepFailure } from './step-failure';

/**
 * One pinned Terraform release for the machine it runs on (an Azure DevOps agent of any OS and
 * architecture: Microsoft-hosted or self-hosted), checked against HashiCorp's published SHA-256 sums,
 * installed under `<root>/terraform/<version>/` and returned as that directory. Installed into a private
 * temporary directory first and renamed into place, so a killed run leaves nothing half-written.
 * (GitHub's jobs use hashicorp/setup-terraform, which does the same.)
 */
export const RELEASES = 'https://releases.hashicorp.com/terraform';

/** HashiCorp's name for this platform: linux_amd64, darwin_arm64, windows_amd64... */
export function terraformPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const os = { linux: 'linux', darwin: 'darwin', win32: 'windows', freebsd: 'freebsd', openbsd: 'openbsd' }[platform as string];
  const cpu = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' }[arch];
  if (!os || !cpu) throw new StepFailure(`Terraform publishes no build for ${platform}/${arch}. Fix: run the job on a Linux, macOS or Windows agent on x64 or arm64`);
  return `${os}_${cpu}`;
}

export type Download = (url: string) => Promise<Buffer>;

export const httpsDownload: Download = async (url) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(300_000) });
  if (!response.ok) throw new StepFailure(`${url}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
};

/** The bytes of one file inside a zip archive (stored or deflated), from its central directory. */
export function unzipEntry(zip: Buffer, name: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new StepFailure('the Terraform download is not a zip archive');
  const entries = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) break;
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const entryName = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    if (entryName === name) {
      const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(dataStart, dataStart + compressedSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return zlib.inflateRawSync(data);
      throw new StepFailure(`the Terraform download compresses ${name} with method ${method}, which this installer does not read`);
    }
    offset += 46 + nameLength + extraLength + commentLength;
  }
  throw new StepFailure(`the Terraform download holds no ${name}`);
}

export async function installTerraform(version: string, root: string, options: { download?: Download; platform?: NodeJS.Platform; arch?: string } = {}): Promise<string> {
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new StepFailure(`Terraform version ${JSON.stringify(version)} is not x.y.z`);
  const platform = options.platform ?? process.platform;
  const target = path.join(root, 'terraform', version);
  const binary = platform === 'win32' ? 'terraform.exe' : 'terraform';
  if (fs.existsSync(path.join(target, binary))) return target;
  const download = options.download ?? httpsDownload;
  const zipName = `terraform_${version}_${terraformPlatform(platform, options.arch)}.zip`;
  const [zip, sums] = await Promise.all([download(`${RELEASES}/${version}/${zipName}`), download(`${RELEASES}/${version}/terraform_${version}_SHA256SUMS`)]);
  const expected = sums
    .toString('utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find(([, file]) => file === zipName)?.[0];
  const actual = crypto.createHash('sha256').update(zip).digest('hex');
  if (!expected) throw new StepFailure(`HashiCorp's SHA256SUMS for Terraform ${version} lists no ${zipName}`);
  if (expected !== actual) throw new StepFailure(`${zipName} does not match HashiCorp's published SHA-256 (${expected.slice(0, 12)}…, got ${actual.slice(0, 12)}…); nothing was installed`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(target), `.install-${version}-`));
  try {
    fs.writeFileSync(path.join(staging, binary), unzipEntry(zip, binary), { mode: 0o755 });
    fs.renameSync(staging, target);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    // Another job on this machine installed it meanwhile.
    if (fs.existsSync(path.join(target, binary))) return target;
    throw error;
  }
  return target;
}
