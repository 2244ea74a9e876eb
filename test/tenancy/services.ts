import { attendanceMatrix } from "./attendance";
import { catalogueMatrix } from "./catalogue";
import { enrollmentMatrix } from "./enrollment";
import type { ServiceMatrix } from "./matrix";
import { paymentsMatrix } from "./payments";
import { registryMatrix } from "./registry";
import { statisticsMatrix } from "./statistics";

/**
 * Every service's table, in the order the matrix runs them. A new service (attendance on 3004,
 * statistics on 3006) adds test/tenancy/<service>.ts and its line here.
 */
export const matrices: readonly ServiceMatrix[] = [registryMatrix, catalogueMatrix, enrollmentMatrix, attendanceMatrix, paymentsMatrix, statisticsMatrix];
