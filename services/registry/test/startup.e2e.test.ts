import { fileURLToPath } from "node:url";
import { describeServiceProcess } from "@kruzhok/testkit";

describeServiceProcess("registry", fileURLToPath(new URL("../src/main.ts", import.meta.url)), "/municipalities");
