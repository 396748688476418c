// Text from outside (file names, environment values, suppression reasons, command-line arguments) as it
// may be printed to a terminal or a pipeline log: control and bidirectional-override characters escaped
// visibly, so a value can never end the line it is printed on, reorder what a reader sees (U+202E), or
// start an Azure DevOps logging command (`##vso[`) or a GitHub workflow command (`::name::`).
// Plain JavaScript, so that scripts/run.js can use it before any TypeScript is loaded.
'use strict';

// C0 and C1 controls, DEL, the bidirectional marks, embeddings, overrides and isolates, and U+FFFD (what
// bytes that are not UTF-8 decode to).
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffd]/g;
const ESCAPES = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function printable(text) {
  return String(text)
    .replace(UNPRINTABLE, (char) => ESCAPES[char] ?? `\\u${char.codePointAt(0).toString(16).padStart(4, '0')}`)
    .replace(/##(?=(vso)?\[)/g, '#\\#')
    // GitHub's runner reads a workflow command after leading whitespace too.
    .replace(/^(\s*)::/, '$1\\::');
}

function hasUnprintable(text) {
  return new RegExp(UNPRINTABLE.source).test(String(text));
}

/** A file name given as bytes, shown with each byte that is not valid UTF-8 as \xNN. */
function printablePath(bytes) {
  let shown = '';
  let start = 0;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let end = 1; end <= bytes.length; end++) {
    try {
      shown += decoder.decode(bytes.subarray(start, end));
      start = end;
    } catch {
      // An incomplete sequence may still complete; give up on it after 4 bytes.
      if (end - start >= 4 || end === bytes.length) {
        shown += `\\x${bytes[start].toString(16).padStart(2, '0')}`;
        start += 1;
        end = start;
      }
    }
  }
  return printable(shown);
}

module.exports = { printable, hasUnprintable, printablePath };
