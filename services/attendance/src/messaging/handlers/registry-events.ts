import { CertificateIssued, ChildGuardiansChanged, MunicipalityCreated } from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import { recordChildGuardians, recordMunicipality } from "../../usecases/projections";
import type { AttendanceDeps } from "../../deps";

/** The registry's municipalities (zone, region, country) and children's guardians, as attendance keeps them. */
export function onRegistryEvents(deps: AttendanceDeps) {
  return [
    handlerFor(MunicipalityCreated, (event, { tx }) => {
      const { municipalityId, regionCode, timeZone, currency } = event.data;
      return recordMunicipality(deps, tx, { id: municipalityId, regionCode, timeZone, currency }, causeOf(event));
    }),
    handlerFor(CertificateIssued, (event, { tx }) => recordChildGuardians(deps, tx, event.data, causeOf(event))),
    handlerFor(ChildGuardiansChanged, (event, { tx }) => recordChildGuardians(deps, tx, event.data, causeOf(event))),
  ];
}
