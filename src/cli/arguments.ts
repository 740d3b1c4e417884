import { InvalidArgumentError } from 'commander';

/** A commander parser for a whole number within bounds (ids, counts). */
export function integerIn(min: number, max = 2_147_483_647): (value: string) => number {
  return (value) => {
    const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(max === 2_147_483_647 ? `expected a whole number from ${min}` : `expected a whole number from ${min} to ${max}`);
    return n;
  };
}
