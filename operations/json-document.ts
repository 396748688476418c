/**
 * JSON from outside the process (a stack manifest, `terraform show -json`, a state document), parsed with
 * an error that says where, never what: V8's messages quote the text ("Unexpected token 'T', "Terraform
 * "... is not valid JSON"), and the text may hold a secret or a pipeline log command. V8 names no position
 * for some errors, so the position is found here, by a syntax-only scan that runs only after JSON.parse
 * has failed.
 */
export type JsonParse = { ok: true; value: unknown } | { ok: false; where: string };

export function parseJson(text: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, where: whereItFails(text) };
  }
}

function whereItFails(text: string): string {
  const offset = firstErrorOffset(text);
  if (offset === 'too-deep') return 'it is nested too deeply';
  if (offset === 'accepted') return 'it is too large to read';
  if (offset >= text.length) return text.trim() ? 'it ends too early' : 'it is empty';
  const before = text.slice(0, offset).split(/\r\n|\r|\n/);
  return `at line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

/** The offset of the first character JSON's grammar (RFC 8259) does not allow; text.length when the text ends too early. */
function firstErrorOffset(text: string): number | 'too-deep' | 'accepted' {
  let i = 0;
  class SyntaxAt extends Error {
    constructor(readonly offset: number) {
      super('json syntax');
    }
  }
  const fail = (): never => {
    throw new SyntaxAt(Math.min(i, text.length));
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const literal = (word: string) => {
    for (const char of word) if (text[i++] !== char) (i--, fail());
  };
  const digits = () => {
    const start = i;
    while (i < text.length && text[i] >= '0' && text[i] <= '9') i++;
    if (i === start) fail();
  };
  const number = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') (i++, digits());
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) fail();
      const char = text[i];
      if (char === '"') return void i++;
      if (char < ' ') fail();
      if (char === '\\') {
        i++;
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) (i += k, fail());
          i += 5;
        } else if ('"\\/bfnrt'.includes(text[i] ?? 'x')) i++;
        else fail();
      } else i++;
    }
  };
  const value = (): void => {
    space();
    const char = text[i];
    if (char === '{') {
      i++;
      space();
      if (text[i] === '}') return void i++;
      for (;;) {
        space();
        if (text[i] !== '"') fail();
        string();
        space();
        if (text[i] !== ':') fail();
        i++;
        value();
        space();
        if (text[i] === '}') return void i++;
        if (text[i] !== ',') fail();
        i++;
      }
    }
    if (char === '[') {
      i++;
      space();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        space();
        if (text[i] === ']') return void i++;
        if (text[i] !== ',') fail();
        i++;
      }
    }
    if (char === '"') return string();
    if (char === 't') return literal('true');
    if (char === 'f') return literal('false');
    if (char === 'n') return literal('null');
    if (char === '-' || (char >= '0' && char <= '9')) return number();
    fail();
  };
  try {
    value();
    space();
    if (i < text.length) fail();
    return 'accepted'; // JSON.parse failed on something else: its size
  } catch (error) {
    if (error instanceof SyntaxAt) return error.offset;
    if (error instanceof RangeError) return 'too-deep';
    throw error;
  }
}
