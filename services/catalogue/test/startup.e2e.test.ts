import { fileURLToPath } from "node:url";
import { describeServiceProcess } from "@kruzhok/testkit";

describeServiceProcess("catalogue", fileURLToPath(new URL("../src/main.ts", import.meta.url)), "/search");
