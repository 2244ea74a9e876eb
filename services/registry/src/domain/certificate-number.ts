/** Luhn check digit of a digit string. */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * Certificate number: municipality code (4 digits), serial within it (8 digits), Luhn check
 * digit over both (`4101-00000042-3`). The number stays with the child when they move to
 * another municipality of the region.
 */
export function certificateNumber(municipalityCode: string, serial: number): string {
  if (!/^\d{4}$/.test(municipalityCode)) throw new RangeError(`municipality code must be 4 digits: ${municipalityCode}`);
  if (!Number.isInteger(serial) || serial < 1 || serial > 99_999_999) throw new RangeError(`serial out of range: ${serial}`);
  const body = `${municipalityCode}${String(serial).padStart(8, "0")}`;
  return `${municipalityCode}-${String(serial).padStart(8, "0")}-${luhnCheckDigit(body)}`;
}

export function isValidCertificateNumber(number: string): boolean {
  const match = /^(\d{4})-(\d{8})-(\d)$/.exec(number);
  return match !== null && luhnCheckDigit(`${match[1]}${match[2]}`) === Number(match[3]);
}
