"""Sudoku generator: determinism, uniqueness (independent checker), grading, verifier, configs."""

from __future__ import annotations

import json

import pytest

from curation.errors import GeneratorConfigError
from generators.sudoku import SudokuConfig, SudokuGenerator, parse_answer, render_grid
from generators.sudoku_grader import count_solutions, geometry, grade, parse_grid, technique_step
from schemas import Problem

EULER_1 = "003020600900305001001806400008102900700000008006708200002609500800203009005010300"
# SudokuWiki's X-wing example: stalls after singles, locked candidates and subsets; needs an X-wing
XWING = "100000569492056108056109240009640801064010000218035604040500016905061402621000005"
AI_ESCARGOT = "100007090030020008009600500005300900010080002600004000300000010040000007007000300"
INKALA_2012 = "800000000003600000070090200050007000000045700000100030001000068008500010090000400"


def simple_count(grid: list[int], n: int, br: int, bc: int, limit: int = 2) -> int:
    """Independent checker: plain backtracking with Python sets (fewest-options cell first)."""
    grid = list(grid)

    def options(i):
        r, c = divmod(i, n)
        used = {grid[r * n + k] for k in range(n)} | {grid[k * n + c] for k in range(n)}
        r0, c0 = r - r % br, c - c % bc
        used |= {grid[(r0 + a) * n + c0 + b] for a in range(br) for b in range(bc)}
        return [d for d in range(1, n + 1) if d not in used]

    count = 0

    def rec():
        nonlocal count
        empties = [i for i, v in enumerate(grid) if v == 0]
        if not empties:
            count += 1
            return count >= limit
        best = min(empties, key=lambda i: len(options(i)))
        for d in options(best):
            grid[best] = d
            if rec():
                return True
        grid[best] = 0
        return False

    rec()
    return count


def meta(rec):
    return json.loads(rec["metadata"])


@pytest.mark.parametrize("tier", [1, 2, 3, 4, 5])
def test_same_seed_same_puzzle_and_tier_matches(tier):
    gen = SudokuGenerator(SudokuConfig(tier=tier))
    a, b = gen.generate(11), gen.generate(11)
    assert a == b
    m = meta(a)
    assert m["tier"] == tier
    assert grade(parse_grid(m["givens"], 9), geometry(9, 3, 3)).tier == tier
    assert a["id"] != gen.generate(12)["id"]
    assert a["source_id"] == f"sudoku-9x9-L{tier}-s11"
    Problem.model_validate(a)


@pytest.mark.parametrize("size,tier", [(9, 1), (9, 2), (9, 3), (9, 4), (9, 5), (4, 1), (6, 1), (6, 2)])
def test_every_puzzle_has_exactly_one_solution(size, tier):
    box = {4: (2, 2), 6: (2, 3), 9: (3, 3)}[size]
    gen = SudokuGenerator(SudokuConfig(size=size, tier=tier))
    for seed in range(3):
        rec = gen.generate(seed)
        m = meta(rec)
        givens = parse_grid(m["givens"], size)
        assert simple_count(givens, size, *box) == 1
        # the reference answer is that solution and keeps the givens
        assert all(g in (0, int(a)) for g, a in zip(givens, rec["answer"]))
        # real clue count is reported
        assert m["clues"] == sum(1 for v in givens if v) == m["difficulty"]["clues"]
        assert SudokuGenerator.verify(rec, rec["answer"]).ok


def test_symmetric_and_minimal_and_clue_band():
    sym = SudokuGenerator(SudokuConfig(tier=2, symmetric=True)).generate(3)
    g = meta(sym)["givens"]
    assert all((g[i] == ".") == (g[80 - i] == ".") for i in range(81))
    mini = SudokuGenerator(SudokuConfig(tier=5, minimal=True)).generate(3)
    givens = parse_grid(meta(mini)["givens"], 9)
    for i, v in enumerate(givens):
        if v:
            trial = list(givens)
            trial[i] = 0
            assert count_solutions(trial, geometry(9, 3, 3)) == 2  # every clue is needed
    band = SudokuGenerator(SudokuConfig(tier=1, min_clues=34, max_clues=38)).generate(4)
    assert 34 <= meta(band)["clues"] <= 38


def test_known_puzzles_are_graded_as_expected():
    g = geometry(9, 3, 3)
    easy = grade(parse_grid(EULER_1, 9), g)
    assert (easy.tier, easy.solved) == (1, True) and set(easy.counts) == {"naked_single"}
    xw = grade(parse_grid(XWING, 9), g)
    assert xw.tier == 4 and xw.solved and xw.counts.get("x_wing", 0) >= 1
    assert not grade(parse_grid(XWING, 9), g, max_tier=3).solved
    for hard in (AI_ESCARGOT, INKALA_2012):
        grid = parse_grid(hard, 9)
        assert count_solutions(grid, g) == 1
        result = grade(grid, g)
        assert result.tier == 5 and not result.solved


def _full_cands():
    return [0x1FF] * 81


def test_pointing_eliminates_along_the_row():
    g = geometry(9, 3, 3)
    cand = _full_cands()
    for i in (9, 10, 11, 18, 19, 20):  # digit 1 confined to row 0 inside box 0
        cand[i] &= ~1
    name, cand = technique_step(cand, g, 3)
    assert name == "pointing"
    assert all(not cand[i] & 1 for i in range(3, 9))
    assert all(cand[i] & 1 for i in range(3))


def test_x_wing_eliminates_in_the_columns():
    g = geometry(9, 3, 3)
    cand = _full_cands()
    for r in (0, 4):  # digit 1 only in columns 2 and 6 of rows 0 and 4
        for c in range(9):
            if c not in (2, 6):
                cand[r * 9 + c] &= ~1
    name, cand = technique_step(cand, g, 4)
    assert name == "x_wing"
    for r in range(9):
        for c in (2, 6):
            assert bool(cand[r * 9 + c] & 1) == (r in (0, 4))


@pytest.fixture(scope="module")
def record():
    return SudokuGenerator(SudokuConfig(tier=2)).generate(7)


def test_question_renders_grid_and_format(record):
    q = record["question"]
    assert "------+-------+------" in q and " | " in q and "\\boxed" in q
    m = meta(record)
    assert render_grid(parse_grid(m["givens"], 9), geometry(9, 3, 3)) in q


def test_verifier_accepts_reasonable_formats(record):
    ans = record["answer"]
    rows = [ans[i : i + 9] for i in range(0, 81, 9)]
    variants = [
        ans,
        "\\boxed{" + ans + "}",
        "\n".join(rows),
        "\n".join(" ".join(r) for r in rows),
        "\n".join(",".join(r) for r in rows),
        render_grid([int(c) for c in ans], geometry(9, 3, 3)),
        "The solution is:\n" + "\n".join(rows) + "\nDone.",
        "\\boxed{\n" + "\n".join(" ".join(r) for r in rows) + "\n}",
    ]
    for v in variants:
        res = SudokuGenerator.verify(record, v)
        assert res.ok, (v, res.reason)


def test_verifier_rejects_broken_answers(record):
    ans = record["answer"]
    givens = meta(record)["givens"]
    empties = [i for i, ch in enumerate(givens) if ch == "."]
    # corrupted digit in an empty cell -> a rule breaks
    i = empties[0]
    bad = ans[:i] + str(int(ans[i]) % 9 + 1) + ans[i + 1 :]
    res = SudokuGenerator.verify(record, bad)
    assert not res.ok and "repeats" in res.reason
    # swap two different empty cells in one row
    for r in range(9):
        row_empty = [j for j in empties if j // 9 == r]
        pair = [(a, b) for a in row_empty for b in row_empty if a < b and ans[a] != ans[b]]
        if pair:
            a, b = pair[0]
            break
    swapped = list(ans)
    swapped[a], swapped[b] = swapped[b], swapped[a]
    res = SudokuGenerator.verify(record, "".join(swapped))
    assert not res.ok and "repeats" in res.reason
    # a changed given is reported even when the grid itself is a valid sudoku (relabel digits)
    relabel = "".join(str(int(c) % 9 + 1) for c in ans)
    res = SudokuGenerator.verify(record, relabel)
    assert not res.ok and "given" in res.reason
    # wrong lengths, junk, zeros
    assert "expected 81" in SudokuGenerator.verify(record, ans[:-1]).reason
    assert not SudokuGenerator.verify(record, "").ok
    assert not SudokuGenerator.verify(record, "I don't know").ok
    assert not SudokuGenerator.verify(record, ans[:-1] + "0").ok


def test_verify_works_from_record_alone_and_rejects_foreign(record):
    copy = dict(record)
    assert SudokuGenerator.verify(copy, record["answer"]).ok
    copy["metadata"] = "{}"
    assert not SudokuGenerator.verify(copy, record["answer"]).ok
    copy["metadata"] = None
    assert not SudokuGenerator.verify(copy, record["answer"]).ok


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"size": 5}, "size"),
        ({"tier": 0}, "tier"),
        ({"tier": 6}, "tier"),
        ({"tier": "3"}, "tier"),
        ({"min_clues": 40, "max_clues": 30}, "min_clues"),
        ({"max_clues": 16}, "17"),
        ({"symmetric": True, "minimal": True}, "symmetric"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"size": 4, "tier": 2}, "4x4"),
        ({"symmetric": "yes"}, "symmetric"),
    ],
)
def test_bad_configs_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SudokuConfig(**kwargs)
    with pytest.raises(GeneratorConfigError):
        SudokuConfig(**kwargs)


def test_bad_seed_and_level():
    with pytest.raises(ValueError, match="seed"):
        SudokuGenerator(SudokuConfig(tier=1)).generate(-1)
    with pytest.raises(ValueError, match="level"):
        SudokuGenerator.from_level(9)


def test_unreachable_target_raises_generation_error():
    from generators.base import GenerationError

    with pytest.raises(GenerationError, match="attempts"):
        SudokuGenerator(SudokuConfig(tier=5, max_clues=17, max_attempts=2)).generate(1)


def test_parse_answer_reports_reason():
    grid, reason = parse_answer("12x4", 4)
    assert grid is None and "x" in reason
