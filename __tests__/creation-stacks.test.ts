import { Lazy } from 'cdktf';
import { withoutCreationStacks } from '../config/creation-stacks';

// Synth runs with cdktf's creation stack traces unformatted (they are never written out), and nothing
// else may notice: a real Error's stack reads as always, and the hook is gone afterwards.
describe('withoutCreationStacks', () => {
  const lazyCreationStack = () => {
    const token = Lazy.anyValue({ produce: () => 'x' });
    return (token as unknown as { creationStack: string[] }).creationStack;
  };

  it("leaves cdktf's creation stacks empty while it runs, and full again afterwards", () => {
    expect(lazyCreationStack().length).toBeGreaterThan(0);
    expect(withoutCreationStacks(lazyCreationStack)).toEqual([]);
    expect(lazyCreationStack().length).toBeGreaterThan(0);
  });

  it("formats a real Error's stack as Node does, inside and out", () => {
    const inside = withoutCreationStacks(() => new Error('inside').stack!);
    const outside = new Error('inside').stack!;
    expect(inside.split('\n')[0]).toBe('Error: inside');
    expect(inside).toMatch(/\n {4}at .*creation-stacks\.test\.ts:\d+:\d+/);
    expect(outside.split('\n').slice(0, 1)).toEqual(inside.split('\n').slice(0, 1));
  });

  it('puts back the hook that was there, also when the build throws', () => {
    const before = Error.prepareStackTrace;
    expect(() =>
      withoutCreationStacks(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(Error.prepareStackTrace).toBe(before);
  });
});
