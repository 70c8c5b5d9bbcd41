import { parseArgs } from 'node:util';

export const COMMANDS = ['validate', 'plan', 'apply', 'drift', 'adopt', 'history', 'graph', 'rollback', 'policy', 'serve', 'demo', 'help'] as const;
export type Command = (typeof COMMANDS)[number];

const options = {
  config: { type: 'string' },
  repo: { type: 'string' },
  'data-dir': { type: 'string' },
  'break-lock': { type: 'boolean' },
  ref: { type: 'string' },
  stack: { type: 'string' },
  to: { type: 'string' },
  resource: { type: 'string' },
  branch: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  plan: { type: 'string' },
  parallelism: { type: 'string' },
  limit: { type: 'string' },
  'detailed-exitcode': { type: 'boolean' },
  'no-refresh': { type: 'boolean' },
  'auto-approve': { type: 'boolean' },
  'allow-delete-all': { type: 'boolean' },
  remediate: { type: 'boolean' },
  demo: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  'changes-only': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Flags = {
  config?: string;
  repo?: string;
  'data-dir'?: string;
  'break-lock'?: boolean;
  ref?: string;
  stack?: string;
  to?: string;
  resource?: string;
  branch?: string;
  format?: string;
  out?: string;
  plan?: string;
  parallelism?: string;
  limit?: string;
  'detailed-exitcode'?: boolean;
  'no-refresh'?: boolean;
  'auto-approve'?: boolean;
  'allow-delete-all'?: boolean;
  remediate?: boolean;
  demo?: boolean;
  'no-color'?: boolean;
  'changes-only'?: boolean;
  help?: boolean;
};

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseCommandLine(argv: string[]): { command: Command; flags: Flags; topic?: Command } {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [first, ...rest] = parsed.positionals;
  // `policy` has one subcommand: `policy test`.
  if (first === 'policy' && rest[0] !== 'test' && !parsed.values.help) throw new UsageError('driftless policy takes a subcommand: test');
  if (first === 'policy') rest.shift();
  if (rest.length) throw new UsageError(`unexpected argument: ${rest[0]}`);
  const command = (first ?? 'help') as Command;
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "${first}"; commands: ${COMMANDS.join(', ')}`);
  const flags = parsed.values as Flags;
  if (command === 'graph') {
    if (flags.format && !['mermaid', 'dot', 'json'].includes(flags.format)) throw new UsageError('--format takes mermaid, dot or json for graph');
  } else if (flags.format && !['text', 'json', 'markdown'].includes(flags.format)) throw new UsageError(`--format takes text, json or markdown`);
  if (flags.format === 'markdown' && command !== 'plan') throw new UsageError('--format markdown is for plan');
  for (const n of ['parallelism', 'limit'] as const) {
    if (flags[n] !== undefined && !/^[1-9][0-9]*$/.test(flags[n]!)) throw new UsageError(`--${n} takes a positive whole number`);
  }
  if (flags.help) return { command: 'help', flags, topic: command === 'help' ? undefined : command };
  return { command, flags };
}

export const USAGE = `driftless: GitOps reconciliation from a git repository of YAML manifests

Usage: driftless <command> [options]

Commands:
  validate   check driftless.yaml, every manifest, .driftless/acks.yaml and policies (exit 0 valid, 1 invalid)
  plan       show what apply would do (--detailed-exitcode: 0 none, 2 changes, 1 error)
  apply      carry out the plan (asks on a TTY; otherwise --auto-approve or --plan FILE)
  drift      refresh live state and report drift (0 none or all acknowledged, 2 drift, 1 error)
  adopt      write a stack's drift back into its manifests, as a commit on a new branch
  graph      the workflow's change graph at a commit: stacks, resources by action, dependencies
  history    list runs: time, commit, trigger, summary, outcome
  rollback   a branch (and with GitHub, a pull request) restoring a stack's manifests to --to REF
  policy     policy test: run .driftless/policies/tests/ against the policies of --repo DIR (default .)
  serve      run the service: webhooks, polling, plans on pull requests, apply after merge
  demo       run the demo on the embedded default (what npm start does)

Options:
  --config FILE         server config (default ./driftless.config.yaml)
  --repo PATH|URL       manifest repository (overrides the config)
  --data-dir DIR        data dir for state and mirrors (overrides the config)
  --break-lock          take over the data dir's lock when its holder is on another host and gone
  --ref REF             branch, tag or sha (default: the tracked branch)
  --stack NAME          one stack only
  --to REF              rollback: the commit, tag or branch the stack's manifests go back to
  --format FMT          text | json | markdown (plan only); graph: mermaid (default) | dot | json
  --changes-only        graph: collapse unchanged resources into a count per stack
  --out FILE            plan: also save the plan JSON to FILE
  --plan FILE           apply: apply a saved plan, refused if it no longer matches
  --no-refresh          plan without reading live state
  --parallelism N       provider calls at once during apply (default: each provider's own, fs 32, others 8)
  --auto-approve        apply without asking
  --allow-delete-all    allow a plan that deletes every resource of a stack
  --detailed-exitcode   plan: exit 2 when there are changes
  --remediate           drift: re-apply the recorded desired state
  --resource ID         adopt: only this resource (Kind/name)
  --branch NAME         adopt: the new branch (default driftless/adopt-STACK-SHORTSHA)
  --limit N             history: how many runs (default 20)
  --demo                serve: run on the demo repository, embedded state, polling (what npm start does)
`;

/** The options each command takes, besides the ones every command takes. */
const COMMAND_OPTIONS: Record<Exclude<Command, 'help'>, string[]> = {
  validate: ['ref', 'stack', 'format'],
  plan: ['ref', 'stack', 'format', 'out', 'no-refresh', 'detailed-exitcode'],
  apply: ['stack', 'plan', 'auto-approve', 'parallelism', 'allow-delete-all'],
  drift: ['stack', 'remediate', 'format'],
  adopt: ['ref', 'stack', 'resource', 'branch'],
  history: ['stack', 'limit', 'format'],
  graph: ['ref', 'stack', 'format', 'changes-only', 'no-refresh'],
  rollback: ['stack', 'to', 'format'],
  policy: [],
  serve: ['demo'],
  demo: [],
};
const COMMON_OPTIONS = ['config', 'repo', 'data-dir', 'break-lock'];

/** `driftless <command> --help`: what the command does and the options it takes (lines of USAGE). */
export function commandUsage(command: Command): string {
  if (command === 'help') return USAGE;
  const lines = USAGE.split('\n');
  const what =
    lines
      .find((l) => l.startsWith(`  ${command} `))
      ?.trim()
      .slice(command.length)
      .trim() ?? '';
  const option = (name: string): string => lines.find((l) => l.startsWith(`  --${name} `)) ?? `  --${name}`;
  const own = COMMAND_OPTIONS[command].map(option);
  return [
    `driftless ${command}: ${what}`,
    '',
    `Usage: driftless ${command} [options]`,
    '',
    ...(own.length ? ['Options:', ...own, ''] : []),
    'Options every command takes:',
    ...COMMON_OPTIONS.map(option),
    '',
  ].join('\n');
}
