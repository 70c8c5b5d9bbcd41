import type { Logger } from 'pino';

export interface Claimed {
  id: number;
}

export interface LoopOptions<T extends Claimed> {
  name: string;
  log: Logger;
  concurrency: number;
  idleMs: number;
  leaseMs: number;
  claim(): Promise<T | null>;
  run(item: T): Promise<void>;
  renew(ids: number[]): Promise<void>;
}

/**
 * A claim-and-run loop over a durable queue: up to `concurrency` items at once, renewing the
 * leases of those running, sleeping `idleMs` (or until woken) when there is nothing to do.
 * `stop()` stops claiming and waits for the running items to finish.
 */
export class WorkLoop<T extends Claimed> {
  private running = new Map<number, Promise<void>>();
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private loop: Promise<void> | null = null;
  private renewTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: LoopOptions<T>) {}

  start(): void {
    if (this.loop) return;
    this.loop = this.main();
    this.renewTimer = setInterval(
      () => {
        this.o.renew([...this.running.keys()]).catch((err) => this.o.log.warn({ err: (err as Error).message }, `${this.o.name}: lease renewal failed`));
      },
      Math.max(50, Math.floor(this.o.leaseMs / 3)),
    );
    this.renewTimer.unref();
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  get busy(): number {
    return this.running.size;
  }

  private async main(): Promise<void> {
    while (!this.stopped) {
      this.woken = false;
      let claimed = false;
      while (!this.stopped && this.running.size < this.o.concurrency) {
        let item: T | null = null;
        try {
          item = await this.o.claim();
        } catch (err) {
          this.o.log.error({ err: (err as Error).message }, `${this.o.name}: claiming failed`);
        }
        if (!item) break;
        claimed = true;
        const id = item.id;
        const p = this.o
          .run(item)
          .catch((err) => this.o.log.error({ err: (err as Error).message, id }, `${this.o.name}: item failed`))
          .finally(() => {
            this.running.delete(id);
            this.wake();
          });
        this.running.set(id, p);
      }
      if (this.stopped) break;
      if ((claimed || this.woken) && this.running.size < this.o.concurrency) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, this.o.idleMs);
        function done(): void {
          clearTimeout(t);
          resolve();
        }
        this.wakeUp = () => {
          this.wakeUp = null;
          done();
        };
      });
    }
  }

  /** Stop claiming; wait for the running items. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
    await Promise.all(this.running.values());
    if (this.renewTimer) clearInterval(this.renewTimer);
  }
}
