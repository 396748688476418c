import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { installTerraform, terraformPlatform, unzipEntry } from '../operations/install-terraform';

// operations/install-terraform.ts: Terraform for the agent's own OS and architecture, checked against
// HashiCorp's published sums, installed atomically.

/** A one-file zip archive, deflated, as HashiCorp's releases are. */
function zip(name: string, content: Buffer): Buffer {
  const data = zlib.deflateRawSync(content);
  const nameBytes = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE(0, 42);
  const centralStart = local.length + nameBytes.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(centralStart, 16);
  return Buffer.concat([local, nameBytes, data, central, nameBytes, end]);
}

describe('installing Terraform on an agent', () => {
  it("names HashiCorp's build for each OS and architecture an agent may have", () => {
    expect([terraformPlatform('linux', 'x64'), terraformPlatform('linux', 'arm64'), terraformPlatform('darwin', 'arm64'), terraformPlatform('win32', 'x64')]).toEqual(['linux_amd64', 'linux_arm64', 'darwin_arm64', 'windows_amd64']);
    expect(() => terraformPlatform('aix' as NodeJS.Platform, 'ppc64')).toThrow('no build for aix/ppc64');
  });

  it("downloads the build for this machine, checks it against HashiCorp's sums, and installs it where a later job finds it", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'terraform-'));
    try {
      const archive = zip('terraform', Buffer.from('#!/bin/sh\necho terraform\n'));
      const sums = `${crypto.createHash('sha256').update(archive).digest('hex')}  terraform_1.16.4_darwin_arm64.zip\nffff  terraform_1.16.4_linux_amd64.zip\n`;
      const asked: string[] = [];
      const download = async (url: string) => (asked.push(url), url.endsWith('SHA256SUMS') ? Buffer.from(sums) : archive);
      const dir = await installTerraform('1.16.4', root, { download, platform: 'darwin', arch: 'arm64' });
      expect(asked).toEqual(['https://releases.hashicorp.com/terraform/1.16.4/terraform_1.16.4_darwin_arm64.zip', 'https://releases.hashicorp.com/terraform/1.16.4/terraform_1.16.4_SHA256SUMS']);
      expect(fs.readFileSync(path.join(dir, 'terraform'), 'utf8')).toContain('echo terraform');
      expect(fs.statSync(path.join(dir, 'terraform')).mode & 0o111).not.toBe(0);
      // A second job on the machine finds it and downloads nothing.
      expect(await installTerraform('1.16.4', root, { download: async () => Promise.reject(new Error('downloaded again')), platform: 'darwin', arch: 'arm64' })).toBe(dir);
      // A download that does not match the published sum installs nothing.
      const other = path.join(root, 'linux-agent');
      await expect(installTerraform('1.16.4', other, { download, platform: 'linux', arch: 'x64' })).rejects.toThrow("does not match HashiCorp's published SHA-256");
      expect(fs.existsSync(path.join(other, 'terraform', '1.16.4'))).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('reads the one file it needs out of the archive', () => {
    expect(unzipEntry(zip('terraform.exe', Buffer.from('MZ binary')), 'terraform.exe').toString()).toBe('MZ binary');
    expect(() => unzipEntry(zip('LICENSE.txt', Buffer.from('x')), 'terraform')).toThrow('holds no terraform');
  });
});
