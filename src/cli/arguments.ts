import { InvalidArgumentError } from 'commander';

/** A commander parser for a whole number within bounds (ids, counts). */
export function integerIn(min: number, max = 2_147_483_647): (value: string) => number {
  return (value) => {
    const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max))
      throw new InvalidArgumentError(max === 2_147_483_647 ? `expected a whole number from ${min}` : `expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A commander parser for ids separated by commas: `3,5,8`. */
export function idList(value: string): number[] {
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!ids.length || !ids.every((s) => /^\d{1,10}$/.test(s) && Number(s) > 0)) throw new InvalidArgumentError('use ids separated by commas, e.g. 3,5');
  return ids.map(Number);
}

/** A commander parser for names from a fixed list, separated by commas: `tool_ids,tags`. */
export function namesFrom(allowed: readonly string[]): (value: string) => string[] {
  return (value) => {
    const names = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = names.filter((n) => !allowed.includes(n));
    if (!names.length || unknown.length)
      throw new InvalidArgumentError(`${unknown.length ? `unknown ${unknown.join(', ')}; ` : ''}choose from ${allowed.join(', ')}`);
    return names;
  };
}
