"""Curriculum level mix: sums, band targeting, frontier shifts, exploration, validation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.curriculum import propose_level_mix

L = [1, 2, 3, 4, 5]


def test_in_band_levels_get_most():
    mix = propose_level_mix({1: 0.95, 2: 0.6, 3: 0.3, 4: 0.05, 5: 0.0}, total=100, levels=L)
    assert sum(mix.values()) == 100
    assert mix[2] > mix[1] and mix[2] > mix[4] and mix[3] > mix[5]
    assert mix[2] >= mix[3]  # 0.6 is closer to the band centre than 0.3? both inside; centre 0.5
    assert min(mix.values()) >= 1  # off-band levels keep a small share


def test_all_easy_shifts_harder_and_all_hard_shifts_easier():
    easy = propose_level_mix({1: 0.95, 2: 0.9}, total=100, levels=L)
    assert easy[3] >= easy[2] > easy[1] and easy[3] > easy[4]
    hard = propose_level_mix({3: 0.05, 4: 0.0}, total=100, levels=L)
    assert hard[2] >= hard[3] > hard[4] and hard[2] > hard[1]
    all_easy = propose_level_mix({lvl: 0.99 for lvl in L}, total=100, levels=L)
    assert all_easy[5] > all_easy[4] > all_easy[3] > all_easy[1]
    all_hard = propose_level_mix({lvl: 0.01 for lvl in L}, total=100, levels=L)
    assert all_hard[1] > all_hard[2] > all_hard[3] > all_hard[5]


def test_crossing_without_in_band_level():
    mix = propose_level_mix({1: 0.95, 2: 0.9, 4: 0.1, 5: 0.0}, total=100, levels=L)
    assert mix[2] == max(mix.values()) or mix[3] == max(mix.values())
    assert mix[3] > mix[1] and mix[4] > mix[5]


def test_no_data_is_uniform_and_unmeasured_levels_get_exploration():
    assert propose_level_mix({}, total=10, levels=L) == {lvl: 2 for lvl in L}
    mix = propose_level_mix({1: 0.5}, total=100, levels=L, explore=0.2)
    assert mix[1] == 80 and all(mix[lvl] == 5 for lvl in (2, 3, 4, 5))
    assert propose_level_mix({1: float("nan")}, total=5, levels=[1]) == {1: 5}


@settings(max_examples=30, deadline=None)
@given(
    st.dictionaries(st.integers(1, 6), st.floats(0, 1), max_size=6),
    st.integers(0, 500),
    st.tuples(st.floats(0, 0.49), st.floats(0.51, 1.0)),
)
def test_counts_sum_to_total_and_cover_levels(rates, total, band):
    levels = [1, 2, 3, 4, 5, 6]
    mix = propose_level_mix(rates, band=band, total=total, levels=levels)
    assert set(mix) == set(levels) and sum(mix.values()) == total and min(mix.values()) >= 0
    assert mix == propose_level_mix(rates, band=band, total=total, levels=levels)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"band": (0.8, 0.2)},
        {"band": (-0.1, 0.5)},
        {"total": -1},
        {"levels": []},
        {"levels": [1, 1]},
        {"pass_rates": {1: 1.5}},
        {"explore": 2.0},
    ],
)
def test_bad_arguments(kwargs):
    args = {"pass_rates": {}, "total": 10, "levels": [1, 2]}
    args.update(kwargs)
    with pytest.raises(ValueError):
        propose_level_mix(args.pop("pass_rates"), **args)
