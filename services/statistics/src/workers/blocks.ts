import { Worker } from "node:worker_threads";
import type { Logger } from "@kruzhok/observability";
import type { BlockInput, Cell } from "../domain/cells";

/**
 * Blocks computed on a thread of their own. A block's cells and their suppression take tens of
 * milliseconds of CPU (a region of ten municipalities, a month: ~4,800 cells); on the service's
 * one event loop every round of the publisher stalled the consumers for that long, and the
 * publisher had to wait twice its round before the next so that they kept up (issue #16's lag).
 * On its own thread the computation runs beside the consumers, on the machine's other core.
 * The thread starts on the first block and again after a failure.
 */
export class BlockThread {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, { resolve: (cells: Cell[]) => void; reject: (error: Error) => void }>();
  private next = 0;

  constructor(private readonly logger: Logger) {}

  compute(input: BlockInput): Promise<Cell[]> {
    const worker = this.worker ?? this.start();
    const id = this.next++;
    return new Promise<Cell[]>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, input });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
    this.fail(new Error("the block thread was closed"));
  }

  private start(): Worker {
    const worker = new Worker(new URL("./block-thread.mjs", import.meta.url));
    worker.unref();
    worker.on("message", ({ id, cells, error }: { id: number; cells?: Cell[]; error?: string }) => {
      const waiter = this.waiting.get(id);
      this.waiting.delete(id);
      if (error !== undefined) waiter?.reject(new Error(error));
      else waiter?.resolve(cells ?? []);
    });
    const lost = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.logger.error({ err: error }, "the block thread stopped; it starts again with the next block");
      this.fail(error);
    };
    worker.on("error", lost);
    worker.on("exit", (code) => lost(new Error(`the block thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private fail(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
