"""Decontamination: same problem = hit, boilerplate / other numbers / other asked quantity = no hit."""

from __future__ import annotations

import json

import polars as pl
import pytest

from curation.config import DecontaminateSettings, FieldMapping, SourceConfig
from curation.decontaminate import contamination_card_section, load_benchmarks, mark_contamination
from curation.errors import SourceError
from schemas import conform

ITEM_TRAIN = (
    "A train leaves Springfield at 3 pm travelling at 48 miles per hour toward Shelbyville, 210 miles "
    "away. A second train leaves Shelbyville at 4 pm travelling at 62 miles per hour toward Springfield. "
    "At what time do the two trains pass each other?"
)
ITEM_AIME = (
    "Let $x$ be the number of ordered triples $(a,b,c)$ of positive integers with $a+b+c = 30$ and "
    "$a \\le b \\le c$ such that $abc$ is a perfect cube. The probability that a random such triple "
    "works is $\\frac{m}{n}$, where $m$ and $n$ are relatively prime positive integers. Find $m+n$."
)
ITEM_LETTERS = "Determine the number of ways to arrange the letters of the word ELLIPSE."
BOILER = " where $m$ and $n$ are relatively prime positive integers. Find $m+n$."
BENCH = pl.DataFrame({"source_id": ["t1", "a1", "w1"], "question": [ITEM_TRAIN, ITEM_AIME, ITEM_LETTERS]})

# (training row, expected benchmark item id or None, why)
HITS = [
    (ITEM_TRAIN, "t1", "verbatim copy"),
    (ITEM_TRAIN.upper().replace(" ", "  "), "t1", "case and spacing changed"),
    ("Problem 7. " + ITEM_TRAIN + " Give your answer in hours and minutes.", "t1", "copy inside a longer row"),
    (ITEM_AIME.replace("\\frac{m}{n}", "\\dfrac mn").replace("$", ""), "a1", "LaTeX re-formatted"),
    (ITEM_AIME.replace("Find", "Compute").replace("with $a+b+c", "with the sum $a+b+c"), "a1", "words changed and inserted"),
    (ITEM_LETTERS.replace("ELLIPSE.", "\\text{``ELLIPSE''}?"), "w1", "short item, quotes and punctuation"),
]
NON_HITS = [
    (ITEM_TRAIN.replace("48", "50").replace("62", "60"), "same wording, other numbers (template)"),
    (
        "The sum of the areas of two squares is $\\frac{25}{2}$ and their perimeters differ by 2. The side of "
        "the larger one is $\\frac{m}{n}$," + BOILER,
        "only the AIME boilerplate is shared",
    ),
    (ITEM_LETTERS.replace("ELLIPSE", "TOOT"), "same sentence, another word asked about"),
    ("A bag contains 4 red marbles and 6 blue marbles. What is the probability that two drawn are red?", "unrelated"),
]
# rows that make the boilerplate frequent in the training corpus, as in a real AIME-style corpus
FILLER = [
    f"A sequence starts at {i} and each term adds {i + 3}. The {i + 10}th term over {i + 7} is $\\frac mn$," + BOILER
    for i in range(60)
]


def _frame(questions: list[str]) -> pl.DataFrame:
    return conform(pl.DataFrame({"id": [f"q{i}" for i in range(len(questions))], "question": questions, "source": "s"}))


def _run(questions, **settings):
    df = _frame(list(questions) + FILLER)
    return mark_contamination(df, benchmarks={"bench": BENCH}, settings=DecontaminateSettings(**settings)).head(len(questions))


@pytest.mark.parametrize("row, item, why", HITS, ids=[h[2] for h in HITS])
def test_same_problem_is_a_hit(row, item, why):
    out = _run([row]).row(0, named=True)
    assert out["contam_bench"] == item, why
    assert out["contaminated_by"] == ["bench"] and out["drop_reason"] == "contaminated"
    (ev,) = [e for e in out["contamination"] if e["kind"] == "problem"]
    assert ev["benchmark"] == "bench" and ev["item_id"] == item and 0 < ev["score"] <= 1 and len(ev["span"].split()) >= 5


@pytest.mark.parametrize("row, why", NON_HITS, ids=[n[1] for n in NON_HITS])
def test_different_problem_is_not_a_hit(row, why):
    out = _run([row]).row(0, named=True)
    assert out["contam_bench"] is None, why
    assert out["contaminated_by"] == [] and out["drop_reason"] is None


def test_template_match_is_flagged_not_dropped():
    row = ITEM_TRAIN.replace("48", "50").replace("62", "60")
    out = _run([row]).row(0, named=True)
    assert out["contam_template_bench"] == "t1" and out["contam_bench"] is None
    assert out["drop_reason"] is None and out["contaminated_by"] == []
    assert [e["kind"] for e in out["contamination"]] == ["template"]
    dropped = _run([row], drop_templates=True).row(0, named=True)
    assert dropped["drop_reason"] == "contaminated"
    off = _run([row], digit_masked=False).row(0, named=True)
    assert off["contam_template_bench"] is None and off["contamination"] == []


def test_keep_flags_without_drop_and_earlier_drop_preserved():
    df = conform(pl.DataFrame({
        "id": ["a", "b"], "question": [ITEM_TRAIN, ITEM_TRAIN], "source": "s",
        "drop_reason": ["too_short", None], "contaminated_by": [["old"], []],
    }))
    out = mark_contamination(df, benchmarks={"bench": BENCH})
    assert out["drop_reason"].to_list() == ["too_short", "contaminated"]
    assert out["contaminated_by"].to_list() == [["old", "bench"], ["bench"]]
    kept = mark_contamination(df, benchmarks={"bench": BENCH}, settings=DecontaminateSettings(drop_contaminated=False))
    assert kept["drop_reason"].to_list() == ["too_short", None] and kept["contam_bench"].to_list() == ["t1", "t1"]


def test_card_counts_only_rows_not_dropped_earlier():
    df = conform(pl.DataFrame({
        "id": ["a", "b", "c"], "question": [ITEM_TRAIN, ITEM_TRAIN, ITEM_TRAIN.replace("48", "50")], "source": "s",
        "drop_reason": ["duplicate", None, None],
    }))
    text = contamination_card_section(mark_contamination(df, benchmarks={"bench": BENCH}))
    assert "| bench | 1 | 0 | 1 |" in text  # same problem, of which by answer, template
    assert "Rows flagged: 1; dropped as contaminated: 1; also matching but already dropped by an earlier stage: 1." in text


def test_thresholds_are_settings():
    row = ITEM_AIME.replace("with $a+b+c", "with the sum $a+b+c")
    assert _run([row])["contam_bench"][0] == "a1"
    # the coverage path and the mathematics path both have their thresholds
    assert _run([row], min_other_cover=1.0, min_math_cover=1.0)["contam_bench"][0] is None
    assert _run([row], min_span=200, min_math_cover=1.0)["contam_bench"][0] is None
    assert _run([row], min_score=1.0)["contam_bench"][0] == "a1"  # reworded: same numbers, same asked part


def test_empty_inputs():
    empty = mark_contamination(_frame([]), benchmarks={"bench": BENCH})
    assert empty.height == 0 and "contam_bench" in empty.columns and "contam_template_bench" in empty.columns
    out = _run([None, ""])
    assert out["contaminated_by"].to_list() == [[], []]


def test_benchmark_read_with_its_mapping_format_and_context(tmp_path):
    # the question is split over two fields; default recognition would see neither
    path = tmp_path / "bench.json"
    path.write_text(json.dumps([{"Body": ITEM_TRAIN.rsplit(". ", 1)[0] + ".", "Question": ITEM_TRAIN.rsplit(". ", 1)[1], "Key": "T-1"}]))
    cfg = SourceConfig(name="trains", path="bench.json", format="json", mapping=FieldMapping(question="Question", context="Body", id="Key"))
    benches = load_benchmarks([cfg], base_dir=tmp_path)
    out = mark_contamination(_frame([ITEM_TRAIN]), benchmarks=benches)
    assert out["contam_trains"].to_list() == ["T-1"]


def test_unreadable_benchmark_is_a_named_error(tmp_path):
    (tmp_path / "broken.jsonl").write_text("this is not json\n")
    with pytest.raises(SourceError, match="broken"):
        load_benchmarks([SourceConfig(path="broken.jsonl")], base_dir=tmp_path)
    with pytest.raises(SourceError, match="missing"):
        load_benchmarks([SourceConfig(name="missing", path="nope.jsonl")], base_dir=tmp_path)
    with pytest.raises(SourceError, match="question"):
        mark_contamination(_frame(["x"]), benchmarks={"bad": pl.DataFrame({"text": ["x"]})})


def test_short_item_inside_a_row():
    # an instruction that many training rows carry is boilerplate; a row that adds a condition is not a copy
    instruction = " Put your final answer within \\boxed{}."
    corpus = [f"Compute {i} times {i + 1} minus {2 * i}." + instruction for i in range(60)]
    bench = pl.DataFrame({"source_id": ["s1"], "question": ["Simplify $\\sqrt{242}$."]})
    rows = ["Simplify $\\sqrt{242}$." + instruction, "Simplify $\\sqrt{242}$ and then find the sum of the digits of the result."]
    out = mark_contamination(_frame(rows + corpus), benchmarks={"bench": bench}).head(2)
    assert out["contam_bench"].to_list() == ["s1", None]


def test_evidence_for_every_benchmark():
    other = pl.DataFrame({"source_id": ["o1"], "question": [ITEM_TRAIN]})
    out = mark_contamination(_frame([ITEM_TRAIN] + FILLER), benchmarks={"bench": BENCH, "other": other}).row(0, named=True)
    assert out["contaminated_by"] == ["bench", "other"]
    assert [(e["benchmark"], e["item_id"], e["kind"]) for e in out["contamination"]] == [("bench", "t1", "problem"), ("other", "o1", "problem")]
    assert all(e["score"] == 1.0 and e["span"].startswith("a train leaves springfield") for e in out["contamination"])


def test_tokens_ignore_layout_but_keep_words_and_numbers():
    from curation.decontaminate import tokens

    a, b = tokens(pl.Series([
        "Both end in $\\dfrac12$ of \\$1{,}000 and 0.50. [asy]draw((0,0)--(1,1));[/asy] \\begin{align} x \\end{align}",
        "BOTH END IN \\frac{1}{2} OF $1,000 AND .5?  \\left( x \\right)",
    ]))
    assert a == ["both", "end", "in", "frac", "1", "2", "of", "1000", "and", "0.5", "x"]
    assert b == a


def test_chunked_reading_gives_the_same_marks(monkeypatch):
    import curation.decontaminate.candidates as dc

    rows = [h[0] for h in HITS] + [n[0] for n in NON_HITS]
    whole = _run(rows)
    monkeypatch.setattr(dc, "_CHUNK_ROWS", 7)  # many chunks, all rows still counted exactly
    chunked = _run(rows)
    for col in ("contam_bench", "contam_template_bench", "drop_reason"):
        assert chunked[col].to_list() == whole[col].to_list()
