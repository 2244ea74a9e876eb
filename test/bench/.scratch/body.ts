import { measureFastifyHelloPaced } from "../ceilings/measure";
const modes = ["buffer", "string", "buffer", "string", "buffer", "string"];
for (const mode of modes) {
  process.env.HELLO_BODY = mode;
  const c = await measureFastifyHelloPaced({ rate: 5000, seconds: 5, connections: 128, workers: 2 });
  process.stdout.write(`${mode}: ${c.settings}\n`);
}
