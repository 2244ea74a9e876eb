// Composition root of attendance: the only file that reads the environment or opens connections
// (through runService: config -> database -> Kafka -> app -> consumers -> relay -> close job -> listen,
// and the reverse on SIGTERM).
import { runService } from "@kruzhok/service";
import { buildAttendanceApp } from "./app";
import { AttendanceConfig } from "./config";
import { eventHandlers } from "./messaging/handlers";
import { consumedTopics, publishedTopics } from "./messaging/topics";
import { migrateAttendance } from "./migrations";
import { closeDueMonths } from "./usecases/months";

await runService({
  name: "attendance",
  config: AttendanceConfig,
  migrate: migrateAttendance,
  topics: { published: publishedTopics, consumed: consumedTopics },
  buildApp: ({ app, pool, clock }) => buildAttendanceApp({ ...app, pool, clock }),
  handlers: ({ pool, clock }) => eventHandlers({ pool, clock }),
  jobs: ({ pool, clock, config, logger }) => [
    {
      name: "month close",
      intervalMs: config.MONTH_CLOSE_INTERVAL_MS,
      run: async () => {
        const closed = await closeDueMonths({ pool, clock });
        if (closed.length > 0) logger.info({ closed }, "months closed on their closing day");
      },
    },
  ],
});
