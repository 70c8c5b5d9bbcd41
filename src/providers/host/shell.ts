/** Shell quoting and the checks that keep manifest values out of shell syntax. Pure. */

/**
 * One POSIX shell word holding exactly `s`: single quotes, with each `'` written as `'\''`. Safe for
 * any text without a NUL byte (spaces, `;`, `$()`, backquotes, newlines, unicode): nothing inside
 * single quotes is special to sh. A NUL cannot travel in an argument at all, so it is refused.
 */
export function quote(s: string): string {
  if (s.includes('\0')) throw new Error('a value holds a NUL byte, which no shell argument can carry');
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** `sh -c SCRIPT sh ARG…` as one command line, every part quoted: the arguments are $1, $2, … in the script. */
export function shCommand(script: string, args: string[] = []): string {
  return ['sh', '-c', quote(script), 'sh', ...args.map(quote)].join(' ');
}

/** What a name of each sort may look like: anything else is refused at plan time, with this rule in the message. */
export const NAME_RULES = {
  package: { re: /^[a-z0-9][a-z0-9+.-]*$/, text: 'a Debian package name (lowercase letters, digits, + - .; starting with a letter or digit)' },
  version: { re: /^[A-Za-z0-9.+~:*-]+$/, text: 'a package version or glob (letters, digits, . + ~ : - and *)' },
  service: { re: /^[A-Za-z0-9][A-Za-z0-9@._:\\-]*$/, text: 'a systemd unit name (letters, digits, @ . _ : - \\; not starting with -)' },
  user: { re: /^[a-z_][a-z0-9_-]{0,31}$/, text: 'a user or group name (lowercase letters, digits, _ and -, starting with a letter or _; at most 32)' },
} as const;

/** Why `value` is not a valid name of this sort, or undefined when it is. */
export function nameProblem(sort: keyof typeof NAME_RULES, value: string): string | undefined {
  const rule = NAME_RULES[sort];
  return rule.re.test(value) ? undefined : `${JSON.stringify(value)} is not ${rule.text}`;
}

/** Why `p` is not a path driftless manages on a host: it must be absolute, without NUL, `.` or `..` segments. */
export function pathProblem(p: string): string | undefined {
  if (!p.startsWith('/')) return `${JSON.stringify(p)} is not an absolute path`;
  if (p.includes('\0')) return 'the path holds a NUL byte';
  if (p === '/') return 'the path is the root directory';
  const segs = p.split('/').slice(1);
  if (segs.some((s) => s === '.' || s === '..')) return `${JSON.stringify(p)} has a "." or ".." segment`;
  if (segs.slice(0, -1).some((s) => s === '') || p.endsWith('/')) return `${JSON.stringify(p)} has an empty segment (// or a trailing /)`;
  return undefined;
}

/** The parent directory of an absolute path (`/etc/nginx/x.conf` -> `/etc/nginx`). */
export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
