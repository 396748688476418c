import { parseJson } from '../operations/json-document';

// JSON from outside: the error says where it fails and never quotes the text (V8's own message does).
describe('parseJson', () => {
  it('returns the value of valid JSON', () => {
    expect(parseJson('{"a":[1,-2.5e3,true,null,"\\u00e9"]}')).toEqual({ ok: true, value: { a: [1, -2500, true, null, 'é'] } });
  });

  it.each([
    // V8 names no position for these, and quotes the text: the scan finds the position itself.
    ['a banner before the document', 'Terraform v1 ghp_secret\n{}', 'at line 1, column 1'],
    ['a bad token after a newline', '{\n  "a": tru\n}', 'at line 2, column 11'],
    ['a single-quoted string', "{'a': 1}", 'at line 1, column 2'],
    ['a trailing comma', '[1, 2,]', 'at line 1, column 7'],
    ['text after the document', '{} ##vso[task.complete]', 'at line 1, column 4'],
    ['a raw control character in a string', '{"a": "x\ty"}', 'at line 1, column 9'],
    ['a bad escape', '["\\x41"]', 'at line 1, column 4'],
    ['a leading zero', '[01]', 'at line 1, column 3'],
    ['a document cut short', '{"a": [1, 2', 'it ends too early'],
    ['nothing', '  \n', 'it is empty'],
  ])('names where %s fails, without quoting it', (_, text, where) => {
    const parsed = parseJson(text);
    expect(parsed).toEqual({ ok: false, where });
  });

  it('says a document nested past the stack is nested too deeply, instead of crashing', () => {
    expect(parseJson('['.repeat(200_000))).toEqual({ ok: false, where: 'it is nested too deeply' });
  });
});
