/** A calendar month (UTC) as `YYYY-MM`, and the ISO range of times in it, for the usage report and monthly budgets. */
export const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export function monthOf(iso: string): { month: string; from: string; to: string } {
  return monthRange(iso.slice(0, 7));
}

export function monthRange(month: string): { month: string; from: string; to: string } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return { month, from: `${month}-01T00:00:00.000Z`, to: `${next}-01T00:00:00.000Z` };
}
