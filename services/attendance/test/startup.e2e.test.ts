import { fileURLToPath } from "node:url";
import { describeServiceProcess } from "@kruzhok/testkit";

describeServiceProcess("attendance", fileURLToPath(new URL("../src/main.ts", import.meta.url)), "/groups/{id}/lessons/{lesson}");
