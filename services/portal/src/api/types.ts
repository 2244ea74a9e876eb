// The shapes of the services' answers the pages read (the fields they use; the services send more).

export interface Municipality {
  id: string;
  name: string;
  regionCode: string;
  timeZone: string;
  currency: string;
}

export const Directions = ["technical", "natural_science", "physical_culture_and_sports", "arts", "tourism_and_local_history", "social_and_humanitarian"] as const;
export const FundingKinds = ["financed", "free", "paid"] as const;

export interface Money {
  amount: number;
  currency: string;
}

export interface Certification {
  number: string;
  date: string;
  expiry: string;
}

export interface SearchItem {
  id: string;
  title: string;
  direction: string;
  ageRange: { min: number; max: number };
  fundingKind: string;
  provider: { id: string; name: string };
  municipalityId: string;
  price: Money;
  certificateCoverage: { explanation: { ru: string; kk: string } } | null;
  certification: Certification | null;
  rating: { average: number | null; count: number };
  freeSeats: number;
  openGroups: number;
  address: { text: string };
}

export interface SearchAnswer {
  items: SearchItem[];
  nextCursor: string | null;
  total: number;
  facets: { direction: Record<string, number>; fundingKind: Record<string, number> };
}

export interface Program {
  id: string;
  providerId: string;
  providerName: string;
  municipalityId: string;
  status: "draft" | "published" | "withdrawn";
  title: string;
  description: string;
  direction: string;
  ageRange: { min: number; max: number };
  totalHours: number;
  weeklyHours: number;
  price: Money;
  fundingKind: string;
  certification: Certification | null;
  address: { text: string };
  teachers: { publicName: string; qualification: string }[];
  rating: { average: number | null; count: number };
  /** The program's own page only: what a certificate would pay of it (an estimate), null where none applies. */
  certificateCoverage?: Coverage | null;
}

export interface Coverage {
  explanation: { ru: string; kk: string };
  certificatePaysPerHour: number;
  familyCoPaymentPerHour: number | null;
}

export interface Group {
  id: string;
  programId: string;
  status: "open" | "closed";
  capacity: number;
  freeSeats: number;
  schedule: { timeZone: string; slots: { weekday: number; start: string; end: string }[] };
  startsOn: string;
  endsOn: string;
  acceptingApplications: boolean;
}

export interface Reviews {
  average: number | null;
  count: number;
  items: { id: string; rating: number; text: string; createdAt: string }[];
}

export interface Child {
  id: string;
  municipalityId: string;
  firstName: string;
  lastName: string;
  patronymic: string | null;
  birthDate: string;
  guardianIds: string[];
}

export interface Certificate {
  id: string;
  number: string;
  status: "active" | "suspended" | "closed";
  funding: "accounting" | "financed";
  financedYear: number | null;
}

export interface Offer {
  id: string;
  status: "open" | "accepted" | "declined" | "expired";
  deadline: string;
}

export interface Application {
  id: string;
  municipalityId: string;
  childId: string;
  groupId: string;
  programId: string;
  status: string;
  review: string;
  reviewDueAt: string;
  offers: Offer[];
  enrollment: { id: string; status: string } | null;
  createdAt: string;
}

export interface Position {
  position: number;
  total: number;
  explanation: string;
}
