export { createLogger, infoLine, personalFields, redact, type LineValue, type Logger, type LoggerConfig } from "./logger";
export { Counter, Gauge, Histogram, Registry, counter, createMetricsRegistry, gauge, histogram } from "./metrics";
export { serveWorkerMetrics, workerMetrics } from "./cluster-metrics";
export { DependencyDown, OutageLog, type Outage, type OutageOptions } from "./outage";
