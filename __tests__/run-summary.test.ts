import { addRotationTable, markdownCode, markdownText, RunSummary } from '../operations/run-summary';

// operations/run-summary.ts: what the approver reads on the run's summary page cannot be forged by a value.

describe("the run's summary page", () => {
  it('escapes HTML and Markdown in a value: no comment that hides the rest, no extra column, no raw tag', () => {
    const hostile = '2027-01-01\n<!-- | <img src=x onerror=alert(1)> <details><table> [link](https://evil) `code` *bold*';
    const text = markdownText(hostile);
    expect(text).not.toMatch(/<!--|<img|<details|<table|\n/);
    expect(text).not.toMatch(/(^|[^\\])\|/);
    expect(text).toContain('&lt;!--');
    expect(markdownCode('azurerm_key_vault.x["a`b"]')).not.toMatch(/^`.*`$/s);
    expect(markdownCode('azurerm_key_vault.KeyVault')).toBe('`azurerm_key_vault.KeyVault`');
  });

  it('keeps a hostile state value in its own table cell', () => {
    const summary = addRotationTable(new RunSummary(), 'qa', [
      { name: 'mtls-backend', kind: 'rotating', from: { thumbprint: '\n<!--', expires: '| x |' }, to: { thumbprint: 'B'.repeat(40), expires: '2028-01-01T00:00:00Z' } },
    ]).toString();
    const row = summary.split('\n').find((l) => l.startsWith('| mtls-backend'))!;
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(4);
    expect(summary).not.toContain('<!--');
  });

  it('stays below its cap, and says when it cut something off', () => {
    const summary = new RunSummary(4096);
    summary.list(Array.from({ length: 500 }, (_, i) => `change ${i}`));
    const text = summary.toString();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    expect(summary.wasTruncated).toBe(true);
    expect(text).toContain('This summary was cut off at 4 KiB');
  });
});
