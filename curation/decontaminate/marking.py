"""Matches per row and the columns `mark_contamination` writes."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import numpy as np
import polars as pl

from curation.config import DecontaminateSettings
from curation.decontaminate.candidates import candidate_pairs
from curation.decontaminate.judge import (
    ANSWER, GENERIC, confirmed_by_answer, informative_positions, judge_pair, math_operators, restated,
)
from curation.dedup import normalize_series
from curation.dedup.content import FILLER_WORDS
from curation.dedup.nodes import keyed_answers
from curation.decontaminate.text import normalize_texts, tokens, word_hash
from curation.errors import SourceError
from schemas import conform

KINDS = ("problem", "template")


def contam_column(name: str) -> str:
    """The hit column for benchmark `name` (characters outside [A-Za-z0-9_] become `_`)."""
    return "contam_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def template_column(name: str) -> str:
    """The template-match column for benchmark `name`."""
    return "contam_template_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def bench_ids(bench: pl.DataFrame) -> pl.Series:
    """The benchmark's own id (`source_id`, as ingested), else curate's `id`, else the row number."""
    out = pl.Series("bid", [str(i) for i in range(bench.height)], dtype=pl.Utf8)
    for col in ("id", "source_id"):
        if col in bench.columns:
            out = bench[col].cast(pl.Utf8).alias("bid").fill_null(out)
    return out


def check_settings(s: DecontaminateSettings) -> None:
    from curation.errors import ConfigError

    if s.ngram < 1:
        raise ConfigError(f"decontaminate.ngram must be positive, got {s.ngram}")
    for field in (
        "min_score", "min_other_cover", "template_min_score", "min_number_agreement", "corpus_common_share",
        "rare_word_share", "max_missing_rare_share", "min_other_number_agreement", "min_math_cover", "answer_min_cover",
    ):
        v = getattr(s, field)
        if not 0 <= v <= 1:
            raise ConfigError(f"decontaminate.{field} must be in [0, 1], got {v}")


def find_matches(
    rows: pl.Series, benchmarks: dict[str, pl.DataFrame], *, settings: DecontaminateSettings,
    answers: pl.Series | None = None,
) -> pl.DataFrame:
    """Every judged match: row, benchmark, item_id, kind, score, span (the best per row, benchmark and kind).

    `answers`: each row's reference answer (`curation.dedup.nodes.keyed_answers`), for the
    answer-confirmed path (`settings.answer_confirmed`; kind "answer", one per row and benchmark
    without a text hit); the benchmark items' answers are read from their frames the same way."""
    check_settings(settings)
    names = list(benchmarks)
    texts = [benchmarks[k]["question"].cast(pl.Utf8) for k in names]
    bench_texts = pl.concat(texts) if texts else pl.Series([], dtype=pl.Utf8)
    group = np.repeat(np.arange(len(names)), [len(t) for t in texts]).astype(np.int64)
    ids = pl.concat([bench_ids(benchmarks[k]) for k in names]).to_list() if names else []
    schema = {"row": pl.Int64, "benchmark": pl.Utf8, "item_id": pl.Utf8, "kind": pl.Utf8, "score": pl.Float64, "span": pl.Utf8}
    row_answers = item_answers = answered = None
    if settings.answer_confirmed and answers is not None and names:
        row_answers = answers.cast(pl.Utf8)
        item_answers = pl.concat([keyed_answers(benchmarks[k]).cast(pl.Utf8) for k in names])
        answered = tuple(
            (a.str.strip_chars().str.len_chars() > 0).fill_null(False).to_numpy() for a in (row_answers, item_answers)
        )
    cands = candidate_pairs(
        rows, bench_texts, group, settings=settings, answered=answered)
    rare_limit = max(settings.rare_word_rows, settings.rare_word_share * cands.docs)
    found: list[dict] = []
    problem_hits: set[tuple[int, int]] = set()
    for kind in ("problem", ANSWER, "template"):
        cand = cands.pairs.get(kind)
        if cand is None or cand.height == 0:
            continue
        row_ids = cand["row"].unique().to_list()
        item_ids = cand["item"].unique().to_list()
        row_toks = dict(zip(row_ids, tokens(rows.gather(row_ids))))
        item_toks = dict(zip(item_ids, tokens(bench_texts.gather(item_ids))))
        vocab = pl.Series(sorted({t for ts in (*row_toks.values(), *item_toks.values()) for t in ts} | {"#"}), dtype=pl.Utf8)
        hashes = dict(zip(vocab.to_list(), word_hash(vocab).to_list()))
        # question words ("calculate" / "what is") are never content, however rare
        rare = {
            t for t, h in hashes.items()
            if cands.word_df.get(h, 0) <= rare_limit and not t[:1].isdigit() and t not in FILLER_WORDS
        }
        if kind != ANSWER:  # the answer path needs neither boilerplate positions nor dedup's normal form
            info = lambda toks: informative_positions(toks, hashes, cands.boilerplate, kind, settings.ngram)  # noqa: E731
            row_info = {r: info(t) for r, t in row_toks.items()}
            item_info = {i: info(t) for i, t in item_toks.items()}
            row_norm = dict(zip(row_ids, normalize_series(rows.gather(row_ids)).to_list()))
            item_norm = dict(zip(item_ids, normalize_series(bench_texts.gather(item_ids)).to_list()))
        row_ops = dict(zip(row_ids, map(math_operators, normalize_texts(rows.gather(row_ids)).to_list())))
        item_ops = dict(zip(item_ids, map(math_operators, normalize_texts(bench_texts.gather(item_ids)).to_list())))
        best: dict[tuple[int, int], dict] = {}
        if kind == ANSWER:
            row_ans = dict(zip(row_ids, row_answers.gather(row_ids).to_list()))
            item_ans = dict(zip(item_ids, item_answers.gather(item_ids).to_list()))
        for r, it, score, icov, rcov in cand.iter_rows():
            g = int(group[it])
            if (r, g) in best or (kind != "problem" and (r, g) in problem_hits):
                continue
            if kind == ANSWER:
                if confirmed_by_answer(
                    row_toks[r], item_toks[it], row_ans[r], item_ans[it], rare=rare, row_ops=row_ops[r], item_ops=item_ops[it],
                ):
                    span = SequenceMatcher(None, row_toks[r], item_toks[it], autojunk=False).find_longest_match(
                        0, len(row_toks[r]), 0, len(item_toks[it])
                    )
                    best[(r, g)] = dict(row=r, benchmark=names[g], item_id=ids[it], kind=kind, score=round(score, 4),
                                        span=" ".join(row_toks[r][span.a : span.a + span.size]))
                continue
            if kind == "template" and icov < settings.template_min_score:
                continue  # a template match is the item's wording with other numbers: the item must be covered
            v = judge_pair(
                row_toks[r], item_toks[it], item_cover=icov, row_cover=rcov, rare=rare, settings=settings, kind=kind,
                row_info=row_info[r], item_info=item_info[it], row_ops=row_ops[r], item_ops=item_ops[it],
            )
            if v.match or (
                kind == "problem" and v.reason != GENERIC and _close(row_toks[r], item_toks[it])
                and restated(row_norm[r], item_norm[it])
            ):
                best[(r, g)] = dict(row=r, benchmark=names[g], item_id=ids[it], kind=kind, score=round(score, 4), span=" ".join(v.span))
        if kind != "template":  # a row with a hit on a benchmark gets no weaker match on it
            problem_hits |= set(best)
        found.extend(best.values())
    return pl.DataFrame(found, schema=schema)


def _close(a: list[str], b: list[str]) -> bool:
    """Cheap necessary condition for `restated` (the same wording up to a few words): similar lengths
    and few words only one side has."""
    sa, sb = set(a), set(b)
    return abs(len(a) - len(b)) <= max(3, min(len(a), len(b)) // 3) and len(sa ^ sb) <= max(4, len(sa | sb) // 4)


def mark_contamination(
    df: pl.DataFrame, *, benchmarks: dict[str, pl.DataFrame], settings: DecontaminateSettings = DecontaminateSettings()
) -> pl.DataFrame:
    """Mark rows of `df` that are the same problem as a benchmark item (see the module docstring)."""
    df = conform(df)
    for name, bench in benchmarks.items():
        if "question" not in bench.columns:
            raise SourceError(f"benchmark {name!r}: no 'question' column (columns: {', '.join(bench.columns)})")
    answers = keyed_answers(df) if settings.answer_confirmed else None  # (MC keys are resolved row by row)
    matches = find_matches(df["question"], benchmarks, settings=settings, answers=answers) if df.height and benchmarks else None
    cols: list[pl.Series] = []
    base = pl.DataFrame({"row": np.arange(df.height, dtype=np.int64)})
    for name in benchmarks:
        for kind, column in (("problem", contam_column(name)), ("template", template_column(name))):
            if matches is None or matches.height == 0:
                cols.append(pl.Series(column, [None] * df.height, dtype=pl.Utf8))
                continue
            # an answer-confirmed hit is a hit (its evidence says how it was found)
            kinds = ("problem", ANSWER) if kind == "problem" else (kind,)
            m = matches.filter((pl.col("benchmark") == name) & pl.col("kind").is_in(kinds)).select("row", "item_id")
            cols.append(base.join(m, on="row", how="left", maintain_order="left")["item_id"].alias(column))
    evidence = pl.select(pl.repeat(pl.lit([], dtype=df.schema["contamination"]), df.height)).to_series().alias("contamination")
    hit_names = pl.select(pl.repeat(pl.lit([], dtype=pl.List(pl.Utf8)), df.height)).to_series().alias("_hit")
    if matches is not None and matches.height:
        order = {name: i for i, name in enumerate(benchmarks)}
        m = matches.with_columns(pl.col("benchmark").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        ev = (
            m.sort("row", pl.col("kind") == "template", "_o")
            .group_by("row", maintain_order=True)
            .agg(pl.struct("benchmark", "item_id", "kind", "score", "span").alias("contamination"))
        )
        hits = m.filter(pl.col("kind") != "template").sort("row", "_o").group_by("row", maintain_order=True).agg(pl.col("benchmark").alias("_hit"))
        joined = base.join(ev, on="row", how="left", maintain_order="left").join(hits, on="row", how="left", maintain_order="left")
        evidence = joined["contamination"].fill_null([]).cast(df.schema["contamination"])
        hit_names = joined["_hit"].fill_null([])
        if settings.drop_templates:
            tmpl = m.filter(pl.col("kind") == "template").group_by("row").agg(pl.len())
            is_tmpl = base.join(tmpl, on="row", how="left", maintain_order="left")["len"].is_not_null()
        else:
            is_tmpl = pl.Series([False] * df.height)
    else:
        is_tmpl = pl.Series([False] * df.height)
    out = df.with_columns(cols).with_columns(evidence, hit_names)
    any_hit = pl.col("_hit").list.len() > 0
    updates = [
        pl.concat_list([pl.col("contaminated_by").fill_null([]), pl.col("_hit")]).list.unique(maintain_order=True).alias("contaminated_by")
    ]
    drop = pl.lit(False)
    if settings.drop_contaminated:
        drop = drop | any_hit
    drop = drop | pl.lit(is_tmpl)
    updates.append(
        pl.when(pl.col("drop_reason").is_null() & drop).then(pl.lit("contaminated")).otherwise(pl.col("drop_reason")).alias("drop_reason")
    )
    return out.with_columns(updates).drop("_hit")
