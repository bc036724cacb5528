"""Curriculum: propose the next batch's level mix from measured pass rates.

`propose_level_mix(pass_rates, band=(lo, hi), total=N, levels=[...])` is a pure function. The rule:

1. **In band** (lo <= p <= hi): weight 0.5 .. 1.0, highest at the band centre (these items teach most).
2. **Off band** (p < lo or p > hi): a small weight `off_band` (default 0.05) to keep the estimate fresh.
3. **No level in the band** — shift toward the frontier:
   - every measured level too easy (p > hi): the measured levels get geometric weights from the
     hardest down (1, 1/2, 1/4, ...), and the nearest unmeasured level *harder* than the hardest
     measured level gets weight 1 (the likely frontier);
   - every measured level too hard (p < lo): mirrored, toward easier levels;
   - some too easy and some too hard (the band is crossed between two levels): the hardest too-easy
     and the easiest too-hard level get weight 1, and unmeasured levels between them also weight 1.
4. **No data**: levels absent from `pass_rates` (or NaN) and not already given a frontier weight share
   an exploration fraction `explore` (default 0.1) of the total, split evenly; with no data at all
   the mix is uniform.
5. Weights are normalized and turned into integer counts summing to `total` by largest remainder
   (ties go to the lower level), so the result is deterministic.
"""

from __future__ import annotations

import math

from curation.errors import GeneratorConfigError


def propose_level_mix(
    pass_rates: dict[int, float],
    *,
    band: tuple[float, float] = (0.2, 0.8),
    total: int,
    levels: list[int],
    explore: float = 0.1,
    off_band: float = 0.05,
) -> dict[int, int]:
    """Counts per level for the next batch (keys = `levels`, values sum to `total`). See module doc."""
    lo, hi = band
    if not (0.0 <= lo < hi <= 1.0):
        raise GeneratorConfigError(f"band must satisfy 0 <= lo < hi <= 1, got {band!r}")
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise GeneratorConfigError(f"total must be a non-negative integer, got {total!r}")
    if not levels:
        raise GeneratorConfigError("levels must not be empty")
    if len(set(levels)) != len(levels):
        raise GeneratorConfigError(f"levels must be distinct, got {levels!r}")
    if not 0.0 <= explore <= 1.0:
        raise GeneratorConfigError(f"explore must be in [0, 1], got {explore!r}")
    if not 0.0 <= off_band <= 1.0:
        raise GeneratorConfigError(f"off_band must be in [0, 1], got {off_band!r}")
    levels = sorted(levels)
    rates: dict[int, float] = {}
    for lvl in levels:
        p = pass_rates.get(lvl)
        if p is None or (isinstance(p, float) and math.isnan(p)):
            continue
        if not 0.0 <= p <= 1.0:
            raise GeneratorConfigError(f"pass rate for level {lvl} must be in [0, 1], got {p!r}")
        rates[lvl] = float(p)
    if not rates:
        return _apportion({lvl: 1.0 for lvl in levels}, total, levels)

    weights: dict[int, float] = {}
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    in_band = [lvl for lvl, p in rates.items() if lo <= p <= hi]
    for lvl, p in rates.items():
        weights[lvl] = 1.0 - 0.5 * abs(p - mid) / half if lvl in in_band else off_band
    measured = sorted(rates)
    unmeasured = [lvl for lvl in levels if lvl not in rates]
    frontier: list[int] = []
    if not in_band:
        easy = [lvl for lvl in measured if rates[lvl] > hi]
        hard = [lvl for lvl in measured if rates[lvl] < lo]
        if easy and not hard:
            for rank, lvl in enumerate(reversed(measured)):
                weights[lvl] = 0.5**rank
            frontier = [lvl for lvl in unmeasured if lvl > measured[-1]][:1]
        elif hard and not easy:
            for rank, lvl in enumerate(measured):
                weights[lvl] = 0.5**rank
            frontier = [lvl for lvl in unmeasured if lvl < measured[0]][-1:]
        else:
            a, b = max(easy), min(hard)
            weights[a] = weights[b] = 1.0
            frontier = [lvl for lvl in unmeasured if min(a, b) < lvl < max(a, b)]
    for lvl in frontier:
        weights[lvl] = 1.0
    explore_levels = [lvl for lvl in unmeasured if lvl not in frontier]
    known = sum(weights.values())
    if explore_levels:
        share = explore if known > 0 else 1.0
        scale = (1.0 - share) / known if known > 0 else 0.0
        weights = {lvl: w * scale for lvl, w in weights.items()}
        for lvl in explore_levels:
            weights[lvl] = share / len(explore_levels)
    return _apportion(weights, total, levels)


def _apportion(weights: dict[int, float], total: int, levels: list[int]) -> dict[int, int]:
    """Largest-remainder rounding of `weights` to integer counts summing to `total`."""
    s = sum(weights.get(lvl, 0.0) for lvl in levels)
    if s <= 0:
        weights, s = {lvl: 1.0 for lvl in levels}, float(len(levels))
    exact = {lvl: total * weights.get(lvl, 0.0) / s for lvl in levels}
    counts = {lvl: int(math.floor(x)) for lvl, x in exact.items()}
    left = total - sum(counts.values())
    order = sorted(levels, key=lambda lvl: (-(exact[lvl] - counts[lvl]), lvl))
    for lvl in order[:left]:
        counts[lvl] += 1
    return counts
