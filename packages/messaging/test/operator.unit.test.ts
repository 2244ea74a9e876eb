import { describe, expect, it } from "vitest";
import { UsageError, parseOperatorCommand } from "../src";

const env = { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres", KAFKA_BROKERS: "127.0.0.1:9092", KAFKA_TOPIC_PREFIX: "dev." };

describe("the operator command line", () => {
  it("finds a service's database and consumer group by its name", () => {
    const command = parseOperatorCommand(["parked", "list", "--service", "enrollment"], env);
    expect(command).toMatchObject({
      subject: "parked",
      action: "list",
      databaseUrl: "postgres://postgres@127.0.0.1:5432/enrollment",
      consumer: "dev.enrollment",
      all: false,
    });
  });

  it("takes an explicit database and group, and narrows a redrive to a key or parked rows", () => {
    const command = parseOperatorCommand(
      ["parked", "redrive", "--database-url", "postgres://h/db", "--consumer", "g", "--key", "k-1", "--id", "3", "--id", "4"],
      {},
    );
    expect(command).toMatchObject({ databaseUrl: "postgres://h/db", consumer: "g", key: "k-1", ids: [3, 4] });
  });

  it("reads dead letters of a topic on the broker, picking offsets of the dead-letter topic", () => {
    const command = parseOperatorCommand(
      ["dead-letters", "redrive", "--service", "registry", "--topic", "dev.kruzhok.enrollment.v1", "--offset", "7", "--offset", "0:8"],
      env,
    );
    expect(command).toMatchObject({ topic: "dev.kruzhok.enrollment.v1", offsets: ["7", "0:8"], kafkaBrokers: ["127.0.0.1:9092"] });
  });

  it.each([
    [["parked"], /list or redrive/],
    [["parked", "list"], /--service/],
    [["parked", "list", "--service", "x"], /DATABASE_URL/, {}],
    [["dead-letters", "list", "--service", "x"], /--topic/],
    [["dead-letters", "list", "--service", "x", "--topic", "t"], /KAFKA_BROKERS/, { DATABASE_URL: env.DATABASE_URL }],
    [["parked", "list", "--service", "x", "--id", "3"], /--id is for parked redrive/],
    [["parked", "redrive", "--service", "x", "--id", "three"], /not a parked row/],
    [["dead-letters", "redrive", "--service", "x", "--topic", "t", "--offset", "x1"], /--offset/],
    [["parked", "list", "--service", "x", "--payload"], /Unknown option/],
  ])("refuses %j with a line saying what is wrong", (argv, message, environment: Record<string, string> = env) => {
    expect(() => parseOperatorCommand(argv, environment)).toThrow(UsageError);
    expect(() => parseOperatorCommand(argv, environment)).toThrow(message);
  });
});
