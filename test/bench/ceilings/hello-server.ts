// The system under test of the Fastify ceiling, in its own process so that the load generator
// does not share its event loop. Tells the parent its port over IPC; stops on SIGTERM.
import fastify from "fastify";

const app = fastify({ logger: false });
app.get("/", () => ({ hello: "world" }));

const address = await app.listen({ host: "127.0.0.1", port: 0 });
process.send?.({ kind: "listening", port: Number(new URL(address).port) });

// Closing the server and the IPC channel leaves nothing to keep the process alive.
process.once("SIGTERM", () => {
  void app.close().then(() => process.disconnect?.());
});
