// application/x-www-form-urlencoded bodies, decoded to bytes (not strings):
// the content to sign is whatever bytes the app sent.

/** Decodes one name or value: + is a space, %XX a byte. Throws on a broken escape. */
function decodeComponent(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '+') bytes.push(0x20);
    else if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`broken escape %${hex}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0)); // the body was read as latin1: one char per byte
  }
  return Buffer.from(bytes);
}

/** The fields of a form body; the first of repeated names wins. */
export function parseForm(body: Buffer): Map<string, Buffer> {
  const fields = new Map<string, Buffer>();
  for (const pair of body.toString('latin1').split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq)).toString('utf8');
    const value = decodeComponent(eq < 0 ? '' : pair.slice(eq + 1));
    if (!fields.has(name)) fields.set(name, value);
  }
  return fields;
}
