import { createHash } from "node:crypto";

export type DocumentKind = "birth_certificate" | "snils" | "iin" | "passport";

/** Digits only, upper case, Latin look-alikes of Cyrillic letters folded: what a clerk may type differently. */
export function normaliseDocument(kind: DocumentKind, number: string): string {
  const folded = number
    .toUpperCase()
    .replace(/[\s\-–—.]/g, "")
    .replace(/[АВЕКМНОРСТХ]/g, (c) => ({ А: "A", В: "B", Е: "E", К: "K", М: "M", Н: "H", О: "O", Р: "P", С: "C", Т: "T", Х: "X" })[c] ?? c);
  return `${kind}:${folded}`;
}

/**
 * The hash the registry matches documents by. Duplicates are found by it without comparing
 * stored numbers; the number itself is kept for the office, never sent in an event.
 */
export function documentHash(kind: DocumentKind, number: string): string {
  return createHash("sha256").update(normaliseDocument(kind, number)).digest("hex");
}

/** SNILS (Russian insurance number): 11 digits, the last two a checksum of the first nine. */
export function isValidSnils(text: string): boolean {
  const digits = text.replace(/[\s-]/g, "");
  if (!/^\d{11}$/.test(digits)) return false;
  const body = digits.slice(0, 9);
  // Numbers up to 001-001-998 were issued before checksums existed.
  if (Number(body) <= 1_001_998) return true;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(body[i]) * (9 - i);
  let check = sum % 101;
  if (check === 100) check = 0;
  return check === Number(digits.slice(9));
}

/**
 * IIN (Kazakh individual identification number): 12 digits, YYMMDD of birth, a century-and-sex
 * digit, and a check digit by weights 1..11 (then 3..11,1,2 when the first pass gives 10).
 */
export function isValidIin(text: string, birthDate?: string): boolean {
  if (!/^\d{12}$/.test(text)) return false;
  const d = [...text].map(Number);
  const weighted = (weights: number[]) => weights.reduce((sum, w, i) => sum + w * (d[i] ?? 0), 0) % 11;
  let check = weighted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  if (check === 10) check = weighted([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
  if (check === 10 || check !== d[11]) return false;
  const centuryDigit = d[6] ?? 0;
  if (centuryDigit < 1 || centuryDigit > 6) return false;
  const century = 1800 + Math.floor((centuryDigit - 1) / 2) * 100;
  const iinBirth = `${century + Number(text.slice(0, 2))}-${text.slice(2, 4)}-${text.slice(4, 6)}`;
  return birthDate === undefined || birthDate === iinBirth;
}

/** Russian birth certificate: Roman-numeral series, two Cyrillic letters, six digits (`IV-АБ 123456`). */
export function isValidBirthCertificate(text: string): boolean {
  return /^[IVXLC]{1,6}-[А-ЯЁ]{2}\s?\d{6}$/u.test(text.trim().toUpperCase());
}

/** Russian passport (children from 14): four-digit series and six-digit number. */
export function isValidPassport(text: string): boolean {
  return /^\d{2}\s?\d{2}\s?\d{6}$/.test(text.trim());
}

/**
 * What is wrong with a document number, or undefined when it passes. Without a birth date (a
 * guardian's document) an IIN is checked by its check digit alone.
 */
export function documentProblem(kind: DocumentKind, number: string, birthDate?: string): string | undefined {
  switch (kind) {
    case "snils":
      return isValidSnils(number) ? undefined : "is not a valid SNILS: 11 digits whose last two are the checksum of the first nine";
    case "iin":
      if (!/^\d{12}$/.test(number) || !isValidIin(number)) return "is not a valid IIN: 12 digits with a correct check digit";
      return isValidIin(number, birthDate) ? undefined : "does not match the birth date (an IIN begins with YYMMDD of birth)";
    case "birth_certificate":
      return isValidBirthCertificate(number) ? undefined : "is not a birth certificate number such as IV-АБ 123456";
    case "passport":
      return isValidPassport(number) ? undefined : "is not a passport number such as 45 10 123456";
    default: {
      const exhaustive: never = kind;
      return exhaustive;
    }
  }
}

/**
 * Two document numbers of the same kind that differ by one character (one substituted, added
 * or dropped): the shape of a known fraud, where one child is registered twice with a number
 * typed "wrongly" on purpose.
 */
export function oneCharacterApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  if (a.length === b.length) {
    let differences = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && ++differences > 1) return false;
    return differences === 1;
  }
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  for (let i = 0; i < long.length; i++) {
    if (long.slice(0, i) + long.slice(i + 1) === short) return true;
  }
  return false;
}
