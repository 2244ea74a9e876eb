import { oneCharacterApart } from "./documents";

// One child, one certificate, whatever the document: the same child registered again with
// another kind of document (a birth certificate first, SNILS or IIN later), a name typed in
// Latin letters, with е for ё, or with one letter changed, is the same person to a clerk. The
// registry cannot know for sure, so it holds such an application for an operator instead of
// issuing a second certificate.

/** Cyrillic letters (Russian and Kazakh) to Latin, as passports transliterate them (ICAO), then reduced below. */
const cyrillicToLatin: Record<string, string> = {
  А: "A", Б: "B", В: "V", Г: "G", Д: "D", Е: "E", Ё: "E", Ж: "ZH", З: "Z", И: "I", Й: "I", К: "K", Л: "L", М: "M",
  Н: "N", О: "O", П: "P", Р: "R", С: "S", Т: "T", У: "U", Ф: "F", Х: "KH", Ц: "TS", Ч: "CH", Ш: "SH", Щ: "SHCH",
  Ъ: "", Ы: "Y", Ь: "", Э: "E", Ю: "IU", Я: "IA",
  // Kazakh letters beside the Russian alphabet.
  Ә: "A", Ғ: "G", Қ: "K", Ң: "N", Ө: "O", Ұ: "U", Ү: "U", Һ: "H", І: "I",
};

/**
 * A name reduced to what survives every spelling a clerk or a family may use: upper case, NFC,
 * Cyrillic transliterated, then the letters transliteration systems disagree on folded together
 * (Y/J/I, KH/H, X/KS, TS/TZ/C, W/V, Q/K), doubled letters single (not digits: 22 is not 2),
 * anything but letters and digits dropped.
 * "Пётр" and "Petr", "Юлия" and "Yuliya", "Алексей" and "Alexey" reduce to the same skeleton.
 */
export function nameSkeleton(name: string): string {
  const latin = [...name.normalize("NFC").toUpperCase()].map((c) => cyrillicToLatin[c] ?? c).join("");
  return latin
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[^A-Z0-9]/g, "")
    .replace(/KH/g, "H")
    .replace(/X/g, "KS")
    .replace(/T[SZ]/g, "C")
    .replace(/[YJ]/g, "I")
    .replace(/W/g, "V")
    .replace(/Q/g, "K")
    .replace(/([A-Z])\1+/g, "$1");
}

/**
 * Two names are the same to a clerk: equal skeletons, or skeletons of letters one letter apart
 * (a typo, a changed letter). A name with digits is no person's name but a numbered record (a
 * test's, a batch import's placeholder): only an equal one matches, or every "Child 1041" would
 * resemble "Child 1042".
 */
export function namesMatch(a: string, b: string): boolean {
  const x = nameSkeleton(a);
  const y = nameSkeleton(b);
  if (x.length === 0 || y.length === 0) return false;
  if (x === y) return true;
  return /^[A-Z]+$/.test(x) && /^[A-Z]+$/.test(y) && oneCharacterApart(x, y);
}

export interface PersonOnFile {
  id: string;
  lastName: string;
  firstName: string;
  birthDate: string;
}

/**
 * The first of `others` who may be the same child as `candidate`: born the same day, with last
 * and first names that match (see `namesMatch`). Documents are not compared: a second
 * registration with another kind of document is exactly the case this catches.
 */
export function samePersonAs(candidate: Omit<PersonOnFile, "id">, others: readonly PersonOnFile[]): PersonOnFile | undefined {
  return others.find(
    (other) => other.birthDate === candidate.birthDate && namesMatch(other.lastName, candidate.lastName) && namesMatch(other.firstName, candidate.firstName),
  );
}
