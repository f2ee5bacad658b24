// Inter-annotator agreement as pure functions: Cohen's kappa for two raters and Krippendorff's alpha
// (nominal) for any number, with missing ratings. Labels are categories compared for equality only.

/**
 * Cohen's kappa = (p_o - p_e) / (1 - p_e) over items both raters labelled (Cohen 1960). null when it is
 * undefined: no items, or both raters always used one and the same category (p_e = 1).
 */
export function cohensKappa(first: readonly string[], second: readonly string[]): number | null {
  if (first.length !== second.length) throw new Error('cohensKappa: both raters must label the same items');
  const n = first.length;
  if (n === 0) return null;
  const countsFirst = new Map<string, number>();
  const countsSecond = new Map<string, number>();
  let agreed = 0;
  first.forEach((label, index) => {
    const other = second[index] as string;
    if (label === other) agreed += 1;
    countsFirst.set(label, (countsFirst.get(label) ?? 0) + 1);
    countsSecond.set(other, (countsSecond.get(other) ?? 0) + 1);
  });
  let expected = 0;
  for (const [label, count] of countsFirst) expected += (count / n) * ((countsSecond.get(label) ?? 0) / n);
  if (expected === 1) return null;
  return (agreed / n - expected) / (1 - expected);
}

/**
 * Krippendorff's alpha for nominal data: 1 - D_o / D_e from the coincidence matrix (Krippendorff 2011,
 * "Computing Krippendorff's Alpha-Reliability", section C). Each unit lists the labels it received; units
 * with fewer than two are not pairable and are left out. null when there is no disagreement to expect.
 */
export function krippendorffAlphaNominal(units: ReadonlyArray<readonly string[]>): number | null {
  const coincidences = new Map<string, Map<string, number>>();
  const add = (c: string, k: string, amount: number) => {
    const row = coincidences.get(c) ?? new Map<string, number>();
    row.set(k, (row.get(k) ?? 0) + amount);
    coincidences.set(c, row);
  };
  for (const unit of units) {
    if (unit.length < 2) continue;
    unit.forEach((c, i) => unit.forEach((k, j) => i !== j && add(c, k, 1 / (unit.length - 1))));
  }
  const marginals = new Map<string, number>();
  let observed = 0;
  for (const [c, row] of coincidences) {
    for (const [k, value] of row) {
      marginals.set(c, (marginals.get(c) ?? 0) + value);
      if (c !== k) observed += value;
    }
  }
  const n = [...marginals.values()].reduce((sum, value) => sum + value, 0);
  let expectedProducts = 0;
  for (const [c, nc] of marginals) for (const [k, nk] of marginals) if (c !== k) expectedProducts += nc * nk;
  if (n <= 1 || expectedProducts === 0) return null;
  return 1 - ((n - 1) * observed) / expectedProducts;
}
