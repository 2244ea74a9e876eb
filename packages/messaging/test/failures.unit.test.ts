import pg from "pg";
import { describe, expect, it } from "vitest";
import { DomainError, PermanentError } from "@kruzhok/errors";
import { classifyFailure, failureEvidence } from "../src";

/** An error as node-postgres hands it over when the server answers with an ErrorResponse. */
function serverError(code: string, severity = "ERROR"): pg.DatabaseError {
  const error = new pg.DatabaseError(`server said ${code}`, 0, "error");
  error.code = code;
  error.severity = severity;
  return error;
}

const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });

describe("whose fault a failed handling is", () => {
  it("dead-letters what retrying cannot mend: a domain rule, a PermanentError", () => {
    expect(failureEvidence(new DomainError("TEST.NO", "conflict", "no"))).toBe("permanent");
    expect(failureEvidence(new PermanentError("refused for good"))).toBe("permanent");
  });

  it.each([
    ["57P01", "FATAL"], // terminating connection due to administrator command
    ["57P03", "FATAL"], // the database system is starting up
    ["53300", "FATAL"], // too many connections
    ["08006", "FATAL"], // connection failure
    ["58030", "ERROR"], // I/O error
    ["3D000", "FATAL"], // the database does not exist
    ["28P01", "FATAL"], // password authentication failed
    ["25006", "ERROR"], // read-only transaction: failed over to a standby
  ])("holds the partition when Postgres says the server is unavailable (%s)", (code, severity) => {
    expect(failureEvidence(serverError(code, severity))).toBe("database");
  });

  it.each(["23505", "23503", "42P01", "42703", "57014", "40001", "22P02", "XX000"])(
    "blames the event for what its statements did (%s), retried a few times and then parked",
    (code) => {
      expect(failureEvidence(serverError(code))).toBe("transient");
    },
  );

  it("holds the partition on node-postgres's own connection failures: a lost connection, an exhausted pool", () => {
    expect(failureEvidence(new Error("Connection terminated unexpectedly"))).toBe("database");
    expect(failureEvidence(new Error("timeout exceeded when trying to connect"))).toBe("database");
    expect(failureEvidence(new Error("Client has encountered a connection error and is not queryable"))).toBe("database");
  });

  it("looks through causes, so a wrapped database failure still holds the partition", () => {
    expect(failureEvidence(new Error("saving the seat failed", { cause: serverError("57P01", "FATAL") }))).toBe("database");
    expect(failureEvidence(new Error("outer", { cause: new DomainError("TEST.NO", "conflict", "no") }))).toBe("permanent");
  });

  it("blames the event for anything else: a bug, a webhook's answer", () => {
    expect(failureEvidence(new TypeError("Cannot read properties of undefined"))).toBe("transient");
    expect(failureEvidence(new Error("webhook answered 503"))).toBe("transient");
    expect(failureEvidence("a thrown string")).toBe("transient");
    // Five upper-case letters, but no severity: a socket's EPIPE, not a SQLSTATE.
    expect(failureEvidence(socketError("EPIPE"))).toBe("suspect");
  });

  it("asks the database about a socket error, which a webhook raises as well: the event is blamed when the database answers", async () => {
    expect(await classifyFailure(socketError("ECONNREFUSED"), async () => true)).toBe("transient");
    expect(await classifyFailure(socketError("ECONNREFUSED"), async () => false)).toBe("database");
    let asked = false;
    const probe = async () => ((asked = true), true);
    expect(await classifyFailure(serverError("23505"), probe)).toBe("transient");
    expect(asked).toBe(false);
  });
});
