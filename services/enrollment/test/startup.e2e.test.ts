import { fileURLToPath } from "node:url";
import { describeServiceProcess } from "@kruzhok/testkit";

describeServiceProcess("enrollment", fileURLToPath(new URL("../src/main.ts", import.meta.url)), "/applications");
