/**
 * The "n/N" of a multi-step input whose later steps may be left out depending on earlier answers
 * (pure; no VS Code). The count never grows while the user goes forward: a step not yet reached is
 * counted even if the answers so far would leave it out, so a flow may end before N (as VS Code's
 * own multi-step sample does) but never turns "4/4" into "5/5" (walk finding: choosing a warm pool
 * made the Run Transactions count grow).
 * @param skipped for every step, whether the current answers leave it out
 * @param current index of the step shown now (not skipped)
 * @returns 1-based position and total
 */
export function stepPosition(skipped: readonly boolean[], current: number): { step: number; total: number } {
  let before = 0;
  for (let j = 0; j < current; j++) if (!skipped[j]) before++;
  return { step: before + 1, total: before + 1 + (skipped.length - current - 1) };
}
