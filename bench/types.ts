/** One line of the results table. Times in ms, memory in MB. */
export interface Row {
  scenario: string;
  metric: string;
  unit: 'ms' | 'MB' | 'ms/resource';
  driftless: number | null;
  peer: number | null;
  peerName?: string;
  /** driftless ÷ peer (lower is better), when there is a peer. */
  ratio?: number | null;
  target: string;
  /** true pass, false miss, null: nothing to judge (reported only, or not measurable). */
  pass: boolean | null;
  samples?: { driftless: number[]; peer: number[] };
  note?: string;
}

export interface ScenarioResult {
  name: string;
  title: string;
  rows: Row[];
  notes: string[];
  details?: Record<string, unknown>;
}

/** Thrown when a scenario's peer or prerequisite is missing on this machine: reported, not a failure. */
export class Unavailable extends Error {
  override name = 'Unavailable';
}

export interface BenchContext {
  quick: boolean;
  /** Measured runs per scenario (after warm-up). */
  iterations: number;
  warmup: number;
}

export interface Scenario {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}
