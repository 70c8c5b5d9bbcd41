/**
 * Real Debian test hosts for the tests and the benchmark: each one a systemd-booted container
 * (systemd-nspawn) on an overlay of its own over a cached root filesystem, in a network namespace of
 * its own with only a loopback interface. Clients reach its sshd through a proxy command
 * (`ip netns exec NS nc 127.0.0.1 22`), as OpenSSH's ProxyCommand. The images come from `.ci/hosts`.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (testkit/ from the sources, dist/testkit/ when built). */
const projectRoot = existsSync(join(here, '..', '.ci', 'hosts')) ? resolve(here, '..') : resolve(here, '..', '..');

export interface TestHost {
  name: string;
  /** The network namespace the host lives in. */
  netns: string;
  /** Its root directory on this machine (the overlay). */
  root: string;
  /** What a client runs to reach its sshd (OpenSSH's ProxyCommand). */
  proxyCommand: string;
  /** The SHA256 fingerprint of its ed25519 host key, as OpenSSH prints it (`SHA256:…`). */
  hostKey: string;
  /** Run a shell command on the host as root (through ssh); resolves with its stdout. */
  sh(command: string): Promise<string>;
}

export interface TestFleet {
  hosts: TestHost[];
  /** The private key (OpenSSH format) every host's root accepts. */
  privateKey: string;
  privateKeyFile: string;
  /** Stop every host and remove overlays and namespaces (idempotent). */
  stop(): Promise<void>;
}

export interface HostImages {
  rootfs: string;
  repo: string;
}

/** Why hosts cannot run on this machine (not root, no nspawn, no netns), or undefined when they can. */
export function hostsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'test hosts need root (systemd-nspawn, ip netns)';
  if (process.platform !== 'linux') return 'test hosts need Linux';
  const probe = `dlh-probe-${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
  } catch (err) {
    return `network namespaces are not available here: ${(err as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

let images: Promise<HostImages> | undefined;
/** Build (first time: minutes) or reuse the cached root filesystem and apt repository (`.ci/hosts`). */
export function hostImages(): Promise<HostImages> {
  images ??= run(join(projectRoot, '.ci', 'hosts'), [], { maxBuffer: 1 << 24, timeout: 30 * 60_000 }).then(({ stdout }) => {
    const get = (k: string) => {
      const m = stdout.match(new RegExp(`^${k}=(.+)$`, 'm'));
      if (!m) throw new Error(`.ci/hosts did not print ${k}=: ${stdout}`);
      return m[1];
    };
    return { rootfs: get('rootfs'), repo: get('repo') };
  });
  return images;
}

/** The OpenSSH SHA256 fingerprint of a public key line (`ssh-ed25519 AAAA… comment`). */
export function fingerprint(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1], 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Namespaces, mounts and directories of fleets whose process died (a test run killed mid-way). */
function sweepLeftovers(): void {
  let names: string[] = [];
  try {
    names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter((n) => /^dlh-\d+-/.test(n));
  } catch {
    return;
  }
  for (const n of names) {
    const pid = Number(n.split('-')[1]);
    if (pid === process.pid || alive(pid)) continue;
    try {
      execFileSync('ip', ['netns', 'del', n], { stdio: 'pipe' });
    } catch {
      /* best effort */
    }
  }
  for (const d of readdirSync(tmpdir()).filter((x) => /^dlh-\d+-/.test(x))) {
    const pid = Number(d.split('-')[1]);
    if (pid === process.pid || alive(pid)) continue;
    const dir = join(tmpdir(), d);
    for (const sub of readdirSync(dir)) umount(join(dir, sub, 'root'));
    rmSync(dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function umount(path: string): void {
  try {
    execFileSync('umount', ['-l', path], { stdio: 'pipe' });
  } catch {
    /* not mounted */
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fleets booted by this process (namespace names stay unique when several run at once). */
let fleets = 0;

interface Booted {
  host: TestHost;
  child: ChildProcess;
  exited: Promise<void>;
  dir: string;
}

/**
 * Boot `count` hosts named `prefix`1..N (about 10 s each, in parallel). Call `stop()` in an
 * `afterAll`; it also runs when the process exits.
 */
export async function bootHosts(count: number, opts: { prefix?: string; light?: boolean } = {}): Promise<TestFleet> {
  const why = hostsUnavailable();
  if (why) throw new Error(why);
  sweepLeftovers();
  const { rootfs, repo } = await hostImages();
  const base = mkdtempSync(join(tmpdir(), `dlh-${process.pid}-`));
  const keyFile = join(base, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'driftless-test', '-f', keyFile]);
  const publicKey = readFileSync(`${keyFile}.pub`, 'utf8');
  const booted: Booted[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stopSync);
    await Promise.all(booted.map((b) => halt(b)));
    for (const b of booted) {
      umount(b.host.root);
      try {
        execFileSync('ip', ['netns', 'del', b.host.netns], { stdio: 'pipe' });
      } catch {
        /* already gone */
      }
    }
    rmSync(base, { recursive: true, force: true });
  };
  const stopSync = () => {
    for (const b of booted) {
      b.child.kill('SIGKILL');
      umount(b.host.root);
      try {
        execFileSync('ip', ['netns', 'del', b.host.netns], { stdio: 'pipe' });
      } catch {
        /* already gone */
      }
    }
  };
  process.on('exit', stopSync);
  try {
    const prefix = opts.prefix ?? 'h';
    const fleetNo = ++fleets;
    for (let i = 1; i <= count; i++)
      booted.push(boot(`${prefix}${i}`, `dlh-${process.pid}-${fleetNo}-${i}`, base, rootfs, repo, publicKey, keyFile, opts.light ?? false));
    await Promise.all(booted.map((b) => waitForSsh(b)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { hosts: booted.map((b) => b.host), privateKey: readFileSync(keyFile, 'utf8'), privateKeyFile: keyFile, stop };
}

function boot(name: string, netns: string, base: string, rootfs: string, repo: string, publicKey: string, keyFile: string, light: boolean): Booted {
  const dir = join(base, name);
  const root = join(dir, 'root');
  for (const d of ['upper', 'work', 'root']) mkdirSync(join(dir, d), { recursive: true });
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${rootfs},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`, root]);
  try {
    return start(name, netns, dir, root, repo, publicKey, keyFile, light);
  } catch (err) {
    umount(root);
    try {
      execFileSync('ip', ['netns', 'del', netns], { stdio: 'pipe' });
    } catch {
      /* not made */
    }
    throw err;
  }
}

/**
 * Start one host: booted with systemd, or `light`: only sshd (for files, users and commands, not
 * services), a few megabytes each, so a benchmark can run dozens.
 */
function start(name: string, netns: string, dir: string, root: string, repo: string, publicKey: string, keyFile: string, light: boolean): Booted {
  // Its own identity: host name, host keys, the client's key, apt on the local repository only.
  writeFileSync(join(root, 'etc/hostname'), `${name}\n`);
  for (const f of readdirSync(join(root, 'etc/ssh')).filter((f) => f.startsWith('ssh_host_'))) rmSync(join(root, 'etc/ssh', f));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${name}`, '-f', join(root, 'etc/ssh/ssh_host_ed25519_key')]);
  mkdirSync(join(root, 'root/.ssh'), { recursive: true, mode: 0o700 });
  writeFileSync(join(root, 'root/.ssh/authorized_keys'), publicKey, { mode: 0o600 });
  rmSync(join(root, 'etc/apt/sources.list.d'), { recursive: true, force: true });
  mkdirSync(join(root, 'etc/apt/sources.list.d'));
  writeFileSync(join(root, 'etc/apt/sources.list'), 'deb [trusted=yes] file:/srv/repo ./\n');
  execFileSync('ip', ['netns', 'add', netns]);
  execFileSync('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
  const child = spawn(
    'systemd-nspawn',
    [
      '-q',
      '--register=no',
      '--keep-unit',
      '-D',
      root,
      `--network-namespace-path=/run/netns/${netns}`,
      `--bind-ro=${repo}:/srv/repo`,
      ...(light ? ['--as-pid2', '/bin/sh', '-c', 'mkdir -p /run/sshd && exec /usr/sbin/sshd -D -e'] : ['-b']),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: false },
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const proxyCommand = `ip netns exec ${netns} nc 127.0.0.1 22`;
  const hostKey = fingerprint(readFileSync(join(root, 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8'));
  const sshArgs = [
    '-q',
    '-i',
    keyFile,
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    `ProxyCommand=${proxyCommand}`,
    `root@${name}`,
  ];
  const sh = async (command: string) => (await run('ssh', [...sshArgs, command], { maxBuffer: 1 << 24 })).stdout;
  const host: TestHost = { name, netns, root, proxyCommand, hostKey, sh };
  const b: Booted = { host, child, exited, dir };
  (b as Booted & { stderr: () => string }).stderr = () => stderr;
  return b;
}

/** Wait until the host's sshd answers with its banner (the machine is loaded: up to 3 minutes). */
async function waitForSsh(b: Booted): Promise<void> {
  let done = false;
  b.exited.then(() => {
    done = true;
  });
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (done) throw new Error(`host ${b.host.name} stopped while booting: ${(b as Booted & { stderr: () => string }).stderr()}`);
    try {
      const { stdout } = await run('ip', ['netns', 'exec', b.host.netns, 'nc', '-w', '2', '127.0.0.1', '22'], { timeout: 5000 });
      if (stdout.startsWith('SSH-2.0-')) return;
    } catch (err) {
      const out = (err as { stdout?: string }).stdout ?? '';
      if (out.startsWith('SSH-2.0-')) return;
    }
    await sleep(300);
  }
  throw new Error(`host ${b.host.name}: sshd did not answer within 3 minutes`);
}

/** Power the host off (SIGTERM asks nspawn to shut the container down), killing it after 30 s. */
async function halt(b: Booted): Promise<void> {
  if (b.child.exitCode !== null || b.child.signalCode !== null) return;
  b.child.kill('SIGTERM');
  const killed = sleep(30_000).then(() => b.child.kill('SIGKILL'));
  await Promise.race([b.exited, killed]);
  await b.exited;
}
