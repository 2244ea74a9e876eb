import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from "prom-client";

export { Counter, Gauge, Histogram, Registry } from "prom-client";

/** A registry per process (or per test app), with Node's default metrics. */
export function createMetricsRegistry(service: string, defaults = true): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (defaults) collectDefaultMetrics({ register: registry });
  return registry;
}

// Several relays or consumers may share one registry; the second asks for the metric the first
// made instead of registering the name twice (which prom-client refuses).
export function counter<L extends string>(registry: Registry, config: CounterConfiguration<L>): Counter<L> {
  return (registry.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter({ ...config, registers: [registry] });
}

export function gauge<L extends string>(registry: Registry, config: GaugeConfiguration<L>): Gauge<L> {
  return (registry.getSingleMetric(config.name) as Gauge<L> | undefined) ?? new Gauge({ ...config, registers: [registry] });
}

export function histogram<L extends string>(registry: Registry, config: HistogramConfiguration<L>): Histogram<L> {
  return (
    (registry.getSingleMetric(config.name) as Histogram<L> | undefined) ?? new Histogram({ ...config, registers: [registry] })
  );
}
