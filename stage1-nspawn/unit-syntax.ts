// Quoting for the unit files and the host unit's command lines. systemd
// splits Exec*= and Environment= on whitespace, honours "..." quoting with C
// escapes, replaces %-specifiers when it loads a file and $VARIABLES when it
// runs a command; values from manifests must come out exactly as given.

/** C-style escapes for what a quoted word of a unit file cannot hold as is. */
const C_ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/** One double-quoted word of a unit file, specifiers escaped (Environment=, paths). */
export function quoteWord(s: string): string {
  const body = s.replace(/[\\"\x00-\x1f\x7f%]/g, (c) => {
    if (c === '%') return '%%';
    return C_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return `"${body}"`;
}

/** An argument as systemd passes it to exec(): $ stays $ (no variable expansion). */
export const literalArg = (s: string) => s.replaceAll('$', '$$$$');

/**
 * The value of an Exec*= line of a unit file: every word quoted and taken
 * literally. `prefix` is systemd's command prefix (-, +, ...), kept outside
 * the quotes so that it is not taken for part of the path.
 */
export function execLine(argv: string[], prefix = ''): string {
  return prefix + argv.map((a) => quoteWord(literalArg(a))).join(' ');
}

/** The name of the mount unit of `where` (systemd-escape --path --suffix=mount): '/' becomes '-', other bytes outside [A-Za-z0-9:_.] (and a leading '.') \xNN. */
export function mountUnitName(where: string): string {
  const trimmed = where.replace(/^\/+|\/+$/g, '');
  if (!trimmed) return '-.mount';
  const escaped = [...Buffer.from(trimmed)].map((b, i) => {
    const c = String.fromCharCode(b);
    if (c === '/') return '-';
    return /[A-Za-z0-9:_]/.test(c) || (c === '.' && i > 0) ? c : `\\x${b.toString(16).padStart(2, '0')}`;
  });
  return `${escaped.join('')}.mount`;
}
