import { withTransaction, type PoolClient } from "@kruzhok/postgres";
import { localDateOf } from "@kruzhok/time";
import { accountId, certificateAccountOf, financingTransferId, requireAllPosted } from "../domain/ledger";
import { committedFinancingsOf } from "../store/financing";
import { createTransfers } from "../store/ledger";
import { activeEnrollmentsOf, findCertificate, findYear, listMunicipalities } from "../store/projections";
import { certificatesToRoll, claimRollover, noteReturned } from "../store/rollovers";
import type { PaymentsDeps } from "../deps";
import { postingCause, type JobCause } from "./cause";
import { requestFinancing } from "./financing";
import { reserve } from "./reservations";
import { joinTransaction } from "./transaction";

// The new year, on 1 January in the municipality's zone: what a certificate neither spent nor
// holds for December's lessons (billed in January) returns to the old year's budget, the new
// year's amount is committed (or waits), and the enrollments that carry over are reserved again.
// A bill of the new year that comes first rolls its certificate itself. Exactly once per
// certificate per year: the claim row's primary key and the derived transfer ids make a second
// run, a concurrent run or a late run (3 January) find the work done.

const cause: JobCause = { command: "new-year job" };

/** Roll every certificate whose municipality's local date has reached a new year; returns how many were rolled. */
export async function runNewYear(deps: PaymentsDeps, batch = 500): Promise<number> {
  let rolled = 0;
  for (const municipality of await listMunicipalities(deps.pool)) {
    const year = localDateOf(deps.clock(), municipality.timeZone).year;
    for (;;) {
      const ids = await certificatesToRoll(deps.pool, municipality.id, year, batch);
      if (ids.length === 0) break;
      for (const certificateId of ids) {
        if (await rollCertificate(deps, { certificateId, municipalityId: municipality.id, year })) rolled += 1;
      }
    }
  }
  return rolled;
}

/** One certificate into `year`, in one transaction. */
export function rollCertificate(deps: PaymentsDeps, c: { certificateId: string; municipalityId: string; year: number }): Promise<boolean> {
  return withTransaction(deps.pool, (tx) => rollCertificateIn(deps, tx, c));
}

/**
 * One certificate into `year`, in the caller's transaction (the job's, or a bill's that arrives
 * before the job came round): false when it was rolled before. The old year's reservations stay:
 * they hold what December's lessons will cost until December is billed (usecases/reservations.ts).
 */
export function rollCertificateIn(deps: PaymentsDeps, tx: PoolClient, c: { certificateId: string; municipalityId: string; year: number }): Promise<boolean> {
  return joinTransaction(deps, tx, cause, async (write) => {
    if (!(await claimRollover(tx, c.certificateId, c.year, write.now))) return false;
    const old = c.year - 1;
    // Each municipality that financed the certificate in the old year gets back what is left of
    // its money (two only after a move): never one municipality's money into another's budget.
    let returned = 0;
    for (const financing of await committedFinancingsOf(tx, c.certificateId, old)) {
      const [outcome] = await createTransfers(tx, financing.municipalityId, [
        {
          id: financingTransferId("year-end", financing),
          kind: "single",
          debitAccountId: certificateAccountOf(financing),
          creditAccountId: accountId("budget", financing.municipalityId, old),
          amount: Number.MAX_SAFE_INTEGER,
          balancingDebit: true,
          code: "year_end",
          cause: postingCause(cause),
        },
      ], write.now);
      requireAllPosted([outcome!]);
      returned += outcome!.amount ?? 0;
    }
    await noteReturned(tx, c.certificateId, c.year, returned);

    // The new year is financed where the certificate is now (the municipality it moved to).
    const certificate = await findCertificate(tx, c.certificateId);
    const home = certificate?.municipalityId ?? c.municipalityId;
    if (!certificate || certificate.status === "closed" || !(await findYear(tx, home, c.year))) return true;
    await requestFinancing(deps, tx, { certificateId: c.certificateId, year: c.year, municipalityId: home }, cause);
    for (const enrollment of await activeEnrollmentsOf(tx, home)) {
      if (enrollment.childId === certificate.childId) await reserve(write, { ...enrollment, municipalityId: home }, { year: c.year, today: `${c.year}-01-01` });
    }
    return true;
  });
}
