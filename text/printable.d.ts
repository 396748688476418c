/** Text from outside, safe to print to a terminal or a pipeline log (see printable.js). */
export function printable(text: string): string;
/** True when the text holds a character printable() would have to escape. */
export function hasUnprintable(text: string): boolean;
/** A file name given as bytes, with each byte that is not valid UTF-8 shown as \xNN. */
export function printablePath(bytes: Buffer): string;
