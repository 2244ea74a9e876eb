import { fileURLToPath } from "node:url";
import { describeServiceProcess } from "@kruzhok/testkit";

describeServiceProcess("statistics", fileURLToPath(new URL("../src/main.ts", import.meta.url)), "/statistics/cells");
