import { parentPort } from "node:worker_threads";
import { computeBlock, type BlockInput } from "../domain/cells";

// The thread blocks are computed on (workers/blocks.ts): a message is a block's input, the
// answer its cells or the error's message, under the same id.
const port = parentPort;
if (!port) throw new Error("block-thread runs as a worker thread (workers/blocks.ts starts it)");
port.on("message", ({ id, input }: { id: number; input: BlockInput }) => {
  try {
    port.postMessage({ id, cells: computeBlock(input) });
  } catch (error) {
    port.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
