import { fileURLToPath } from "node:url";
import { describeServiceProcess } from "@kruzhok/testkit";

describeServiceProcess("payments", fileURLToPath(new URL("../src/main.ts", import.meta.url)), "/registers/{id}");
