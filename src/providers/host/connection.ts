/**
 * One SSH connection per host (ssh2), reused for every read and write on it: through a proxy
 * command or a jump host when configured, with the host key checked against its pin before
 * anything is sent, and commands run as `sh -c` (through `sudo -n` with `become: sudo`, or through
 * `sudo -S -k` with the password as the first line of stdin when sudo asks for one).
 */
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { Client as SshClient, ClientChannel, ConnectConfig } from 'ssh2';
import { Limiter } from '../../sdk/concurrency.js';
import { checkHostKey, fingerprintOf, knownFingerprints, knownHostsName, type KnownHost } from './hostkey.js';
import type { HostEntry } from './inventory.js';

export interface Credentials {
  user: string;
  /** The private key in clear (OpenSSH or PEM); never logged. */
  privateKey: string;
  passphrase?: string;
  become?: 'sudo';
  /** The login user's sudo password (a secret): sent on stdin only, never on a command line. */
  becomePassword?: string;
  knownHosts: KnownHost[];
  acceptNewHostKeys: boolean;
  /** Seconds to wait for a host to answer. */
  connectTimeout: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** At most this many channels at once on one connection (sshd's MaxSessions is 10 by default). */
const CHANNELS = 6;
/** Times a refused channel is opened again when no other is open (pauses of 20, 40, … 640 ms: about 1.3 s in all). */
const CHANNEL_RETRIES = 6;

/** A connected host. */
export class HostConnection {
  private readonly channels = new Limiter(CHANNELS);
  /** Channels open now, and what waits for one of them to close (a refused channel, to be opened again). */
  private openChannels = 0;
  private onChannelClose: (() => void)[] = [];
  closed = false;
  /** Commands run on this connection (for tests and the benchmark). */
  commands = 0;
  /** Set once sudo turned out to ask this user for a password (see useSudoPassword). */
  private sudoPassword?: string;

  constructor(
    readonly host: HostEntry,
    private readonly client: SshClient,
    private readonly become: boolean,
    private readonly via?: HostConnection,
    private readonly user = '',
  ) {
    client.on('close', () => {
      this.closed = true;
    });
  }

  /** Run `command` (a shell command line) with `stdin`; resolves with its exit code and output. */
  exec(command: string, stdin?: string | Buffer): Promise<ExecResult> {
    // With a password, `-k` makes sudo ask for it every time, so the first line of stdin is always
    // the password's and the rest always the command's.
    const line = !this.become ? command : this.sudoPassword !== undefined ? `sudo -S -k -p '' -- ${command}` : `sudo -n -- ${command}`;
    if (this.become && this.sudoPassword !== undefined) stdin = Buffer.concat([Buffer.from(`${this.sudoPassword}\n`), Buffer.from(stdin ?? '')]);
    this.commands++;
    return this.channels.run(() => this.execOnce(line, stdin, 0));
  }

  /**
   * One command on a new channel. Nothing ran when the host refuses to open one, so it is opened
   * again: after another channel of this connection closes (sshd allows fewer sessions than we
   * open: its MaxSessions), or, with none open, a few times with a growing pause (sshd has not yet
   * freed the sessions of channels that just closed: seen on hosts under load right after boot).
   */
  private execOnce(line: string, stdin: string | Buffer | undefined, attempt: number): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      this.client.exec(line, (err: Error | undefined, stream: ClientChannel) => {
        if (err && /open failed|Channel open failure/i.test(err.message) && !this.closed) {
          const again = (n: number) => () => this.execOnce(line, stdin, n).then(resolve, reject);
          // Waiting for a close starts the count of pauses again: those are for a host with none open.
          if (this.openChannels > 0) return void this.onChannelClose.push(again(0));
          if (attempt < CHANNEL_RETRIES) return void setTimeout(again(attempt + 1), 20 * 2 ** attempt);
        }
        if (err) return reject(new Error(`host ${this.host.name}: cannot run a command: ${err.message}`));
        this.openChannels++;
        stream.once('close', () => {
          this.openChannels--;
          for (const f of this.onChannelClose.splice(0)) f();
        });
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        let code = -1;
        stream.on('data', (b: Buffer) => out.push(b));
        stream.stderr.on('data', (b: Buffer) => errs.push(b));
        stream.on('exit', (c: number | null, signal?: string) => {
          code = c ?? (signal ? 128 : -1);
        });
        stream.on('close', () => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errs).toString('utf8') }));
        stream.on('error', reject);
        stream.end(stdin ?? '');
      });
    });
  }

  /**
   * With `become: sudo` and a password: ask sudo whether it needs one (`sudo -n`); when it does,
   * check the password once (so a wrong one fails here, with a clear message, before any change) and
   * send it with every command. Without a need, no password is ever sent.
   */
  async useSudoPassword(password: string): Promise<void> {
    if (!this.become) return;
    if ((await this.exec('true')).code === 0) return;
    this.sudoPassword = password;
    const r = await this.exec('true');
    if (r.code !== 0) {
      this.sudoPassword = undefined;
      const why = r.stderr.trim().split('\n').at(-1) ?? '';
      throw new Error(`host ${this.host.name}: sudo refused the becomePassword of user ${JSON.stringify(this.user)}${why ? ` (${why})` : ''}`);
    }
  }

  /** Stream a forwarded TCP connection from this host (a jump host) to `address:port`. */
  forward(address: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, address, port, (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  }

  close(): void {
    if (!this.closed) this.client.end();
    this.closed = true;
    this.via?.close();
  }
}

/** The stdin/stdout of `sh -c proxyCommand` as one stream (OpenSSH's ProxyCommand; %h, %p and %r are substituted). */
function proxyStream(command: string, host: HostEntry, user: string): Duplex {
  const cmd = command.replace(/%(h|p|r|%)/g, (_, c: string) => (c === 'h' ? host.address : c === 'p' ? String(host.port) : c === 'r' ? user : '%'));
  const child = spawn('/bin/sh', ['-c', cmd], { stdio: ['pipe', 'pipe', 'ignore'] });
  const duplex = Duplex.from({ readable: child.stdout, writable: child.stdin });
  // A proxy that exits early (an unreachable host) ends the stream; ssh2 reports the closed connection.
  child.on('error', (err) => duplex.destroy(err));
  child.stdin.on('error', () => undefined);
  duplex.on('error', () => undefined);
  duplex.on('close', () => {
    if (child.exitCode === null) child.kill();
  });
  return duplex;
}

let ssh2: Promise<typeof import('ssh2')> | undefined;

/**
 * Connect to a host as `creds.user` with the private key. The host key must match its pin (hostKey,
 * or knownHosts entries under its name or address); the refusal names the host and both fingerprints.
 */
export async function connectHost(host: HostEntry, creds: Credentials, jumpTo?: (name: string) => Promise<HostConnection>): Promise<HostConnection> {
  ssh2 ??= import('ssh2');
  const { Client } = await ssh2;
  const pinned = [
    ...(host.hostKey ? [host.hostKey] : []),
    ...knownFingerprints(creds.knownHosts, [host.name, host.address, knownHostsName(host.address, host.port)]),
  ];
  let refusal: string | undefined;
  let via: HostConnection | undefined;
  const config: ConnectConfig = {
    username: creds.user,
    privateKey: creds.privateKey,
    passphrase: creds.passphrase,
    readyTimeout: creds.connectTimeout * 1000,
    keepaliveInterval: 15_000,
    hostVerifier: (key: Buffer) => {
      const verdict = checkHostKey(host.name, fingerprintOf(key), pinned, creds.acceptNewHostKeys);
      if (!verdict.ok) refusal = verdict.message;
      return verdict.ok;
    },
  };
  if (host.jump) {
    via = await jumpTo!(host.jump);
    config.sock = await via.forward(host.address, host.port);
  } else if (host.proxyCommand) config.sock = proxyStream(host.proxyCommand, host, creds.user);
  else {
    config.host = host.address;
    config.port = host.port;
  }
  const client = new Client();
  return new Promise<HostConnection>((resolve, reject) => {
    let settled = false;
    client.once('ready', () => {
      settled = true;
      const conn = new HostConnection(host, client, creds.become === 'sudo', via, creds.user);
      if (creds.becomePassword === undefined) return resolve(conn);
      conn.useSudoPassword(creds.becomePassword).then(
        () => resolve(conn),
        (err: Error) => {
          conn.close();
          reject(err);
        },
      );
    });
    // Every error, also after login (a dropped connection fails the commands in flight, and the
    // next use reconnects): never an uncaught one.
    client.on('error', (err: Error) => {
      if (settled) return;
      settled = true;
      client.end();
      via?.close();
      reject(new Error(refusal ?? `host ${host.name} is unreachable: ${err.message}`));
    });
    client.once('close', () => {
      if (settled) return;
      settled = true;
      via?.close();
      reject(new Error(refusal ?? `host ${host.name} is unreachable: the connection closed before login`));
    });
    client.connect(config);
  });
}
