"""Multiple-choice → fill-in conversion: the decision per item and the pipeline stage.

A multiple-choice item can only be an RL training item when the stem stands alone: its options are
removed and the reference answer becomes the correct option's *value*. Items whose stem or answer
needs the options are flagged with a named reason and kept unchanged (and dropped by default).

Row level: `convert_item(question, choices, answer) -> Conversion` (pure).
Frame level: `convert_multiple_choice(df, settings=..., model=...)` (the pipeline stage).
Dataset card: `mcq_card_section(df)`.

Outcomes (`mcq_status`): `converted` | `not_convertible` | `review` | null (not multiple choice).
Reasons (`mcq_reason`) — a fixed vocabulary, `REASONS` below (docs/mcq.md has examples).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import polars as pl

from curation.mcq import rules as R
from curation.mcq.outcome import CONVERTED, NOT_CONVERTIBLE, REASONS, REVIEW, RULES, Conversion, answer_type_of, not_converted
from curation.choices import LETTERS, answer_index, multi_select_letters, parse_choice_value, split_inline_choices, strip_label
from curation.config import McqSettings, ModelSettings

_TRUE_FALSE = {"true", "false", "yes", "no", "correct", "incorrect", "right", "wrong", "对", "错", "是", "否"}
_LETTER_ONLY = re.compile(r"^\s*(?:answer\s*(?:is)?\s*[:：]?\s*)?\(?\s*[A-Pa-p]\s*\)?\s*[.)]?\s*$", re.IGNORECASE)

def _norm_option(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s$]+|\\[,;!]|\\text\{|\}|\{", "", t).rstrip(".")


def _verifiable(value: str) -> bool:
    try:
        from curation.verifier import is_verifiable
    except Exception:
        return bool(value.strip())
    try:
        return bool(is_verifiable(value))
    except Exception:
        return False


def _as_choice_list(choices: Any) -> list[str] | None:
    if choices is None:
        return None
    if isinstance(choices, pl.Series):
        choices = choices.to_list()
    parsed = parse_choice_value(choices)
    if parsed is None or len(parsed.choices) < 2:
        return None
    return parsed.choices


def _same_options(a: list[str], b: list[str]) -> bool:
    if len(a) != len(b):
        return False
    same = sum(_norm_option(strip_label(x)[1]) == _norm_option(strip_label(y)[1]) for x, y in zip(a, b))
    return same * 2 >= len(a)


def convert_item(
    question: str,
    choices: Any,
    answer: Any,
    *,
    answer_type: str | None = None,
    settings: McqSettings | None = None,
) -> Conversion:
    """Decide one item: convert it, or say why not. Pure (no I/O, no model).

    question: the question text (inline options may still be in it).
    choices: option texts from ingest (list, dict or stringified list/dict; labels allowed) or None.
    answer: the correct letter (`"C"`, `"(C)"`), a 0-based int index, or the option's text.
    answer_type: `"choice"` marks the row as multiple choice even when the answer cannot be matched.

    Not multiple choice (status None): no options anywhere, or options found only inline while the
    answer is neither a letter nor an option's text (a free-answer question that happens to contain
    "A." or "(B)").
    """
    settings = settings or McqSettings()
    question = question or ""
    given = _as_choice_list(choices)
    inline = split_inline_choices(question) if question else None
    if inline is not None and len(inline.choices) < 2:
        inline = None
    assume = answer_type == "choice" or given is not None
    mismatch = False
    if given is not None:
        options = given
        if inline is not None and _same_options(inline.choices, given):
            stem = inline.stem or ""
        else:
            stem = unicodedata.normalize("NFKC", question).strip()
            mismatch = inline is not None and len(inline.choices) >= 2 and len(inline.choices) == len(given)
    elif inline is not None:
        options, stem = inline.choices, inline.stem or ""
    else:
        if answer_type == "choice":
            return not_converted("options_missing")
        return Conversion(status=None)

    base = dict(choices=options, stem=stem)
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        return not_converted("no_answer", **base) if assume else Conversion(status=None)
    idx = answer_index(answer, options)
    if idx is None and multi_select_letters(answer, len(options)) is not None:
        return not_converted("multi_select", **base)
    if idx is None:
        letter_like = isinstance(answer, str) and bool(_LETTER_ONLY.match(unicodedata.normalize("NFKC", answer)))
        if assume or letter_like:
            return not_converted("answer_not_in_options", **base)
        return Conversion(status=None)
    base["correct_index"] = idx
    correct = strip_label(options[idx])[1] if strip_label(options[idx])[0] == LETTERS[idx] else options[idx].strip()

    if len(re.findall(r"\w", stem)) < 3:
        return not_converted("empty_stem", **base)
    if R.is_meta_option(correct):
        return not_converted("answer_is_meta_option", **base)

    problem = R.stem_problem(stem)
    if problem is not None and problem != "bare_blank":
        return not_converted(problem, **base)

    cleaned = [R.clean_option(o) for o in options]
    keys = [(_norm_option(v), (u or "").lower()) for v, u in cleaned]
    nums = [R.numeric_value(v) for v, _ in cleaned]
    # Two options with one value are harmless (the answer is still that value), unless the other one
    # writes the correct value in another form (8/18 next to 4/9): then the item asks for a form.
    if nums[idx] is not None:
        for i, (key, num) in enumerate(zip(keys, nums)):
            if i != idx and num is not None and round(num, 12) == round(nums[idx], 12) and key[1] == keys[idx][1] \
                    and key[0] != keys[idx][0] and not R.is_meta_option(options[i]):
                return not_converted("duplicate_options", **base)

    max_words = settings.max_option_words
    statements = [R.is_statement(o, max_words=max_words) for o in options if not R.is_meta_option(o)]
    if R.is_statement(correct, max_words=max_words) or (statements and sum(statements) * 2 >= len(statements)):
        return not_converted("options_are_statements", **base)
    plain = [_norm_option(o) for o in options if not R.is_meta_option(o)]
    if plain and all(all(w in _TRUE_FALSE for w in re.split(r"[,;/]", p) if w) for p in plain):
        return not_converted("answer_guessable", **base)

    value, unit = cleaned[idx]
    if not value:
        return not_converted("answer_not_verifiable", **base)
    if unit and R.unit_is_variable(unit, stem):  # "4/3 V" where V is the flow speed in the stem
        value, unit = R.times_variable(value, unit), None
        cleaned = [(R.times_variable(v, u), None) if u == cleaned[idx][1] else (v, u) for v, u in cleaned]
    if unit and re.search(r"\bratio\b", R.question_sentence(stem), re.IGNORECASE):
        return not_converted("answer_not_verifiable", **base)  # "9 Trousers" for "what is the ratio ..."
    if R.is_texty(value):
        if R.option_words(value) > settings.max_text_answer_words:
            return not_converted("options_are_statements", **base)
        if not settings.text_answers:
            return not_converted("text_answer", **base)
    if problem is not None:  # a bare blank, named after the statement and text checks (they say more)
        return not_converted(problem, **base)
    if R.is_unevaluated_arithmetic(value):
        return not_converted("stem_depends_on_options", **base)
    if value in LETTERS[: len(options)] or R.looks_malformed(value) or R.is_quantity_name(value) \
            or R.is_clock_time(value, stem) or R.asks_for_a_form(stem) or not _verifiable(value):
        return not_converted("answer_not_verifiable", **base)
    if R.open_which(stem, value):
        return not_converted("stem_depends_on_options", **base)

    text, rule = R.rewrite_stem(stem)
    rule = "options_removed" + (f"+{rule}" if rule else "")
    hinted = R.unit_hint(text, unit)
    if hinted != text:
        text, rule = hinted, rule + "+unit_hint"
    kind = answer_type_of(value)
    proposal = {"question": text, "answer": value, "answer_unit": unit, "answer_type": kind}
    if R.asked_unit_conflict(stem, unit):
        return not_converted("mixed_units", proposal=proposal, **base)
    units = {R.unit_key(u) for (v, u), o in zip(cleaned, options) if not R.is_meta_option(o)}
    if len(units) > 1:
        # "600 meters" among "700 kilometers": the answer keeps its unit and the question names it
        hinted = R.unit_hint(text, unit, force=True) if unit else text
        if hinted == text and (not unit or R.unit_key(unit) not in {R.unit_key(w) for w in re.findall(r"[A-Za-z/^0-9]+", text)}):
            return not_converted("mixed_units", proposal=proposal, **base)
        if hinted != text:
            text, rule = hinted, rule + "+unit_hint"
            proposal["question"] = text
    option_values = [v for (v, _), o in zip(cleaned, options) if not R.is_meta_option(o)]
    numeric = [v for v in option_values if R.numeric_value(v) is not None]
    rounded = len(numeric) >= 2 and len(numeric) == len(option_values) and all(R.decimals(v) >= 3 for v in numeric)
    if rounded or R.rounds_another(value, option_values):
        return not_converted("approximate_values", proposal=proposal, **base)
    if mismatch:
        return not_converted("options_mismatch", proposal=proposal, **base)
    if split_inline_choices(text) is not None or R.stem_problem(text) is not None:
        return not_converted("options_left_in_stem", proposal=proposal, **base)
    return Conversion(
        status=CONVERTED, reason=rule, question=text, answer=value, answer_unit=unit, answer_type=kind,
        method="rule", **base,
    )


# ---------------------------------------------------------------------------------------------
# Frame level

_NEEDED: dict[str, pl.DataType] = {
    "question": pl.Utf8(), "answer": pl.Utf8(), "answer_type": pl.Utf8(), "answer_unit": pl.Utf8(),
    "choices": pl.List(pl.Utf8()), "original_question": pl.Utf8(), "original_answer": pl.Utf8(),
    "original_choices": pl.List(pl.Utf8()), "rewritten_by": pl.Utf8(), "mcq_status": pl.Utf8(),
    "mcq_method": pl.Utf8(), "mcq_reason": pl.Utf8(), "review_reason": pl.Utf8(), "drop_reason": pl.Utf8(),
    "metadata": pl.Utf8(),
}


def _merge_metadata(meta: str | None, key: str, value: Any) -> str:
    data: dict = {}
    if meta:
        try:
            loaded = json.loads(meta)
            data = loaded if isinstance(loaded, dict) else {"_metadata": loaded}
        except (ValueError, TypeError):
            data = {"_metadata": meta}
    data[key] = value
    return json.dumps(data, ensure_ascii=False)


def convert_multiple_choice(
    df: pl.DataFrame, *, settings: McqSettings = McqSettings(), model: ModelSettings | None = None
) -> pl.DataFrame:
    """Convert multiple-choice rows to fill-in form; flag the rest. Never removes rows.

    Input columns: `question`, `answer` (letter, index or option text), `choices` (option texts or
    null; inline options in the question are found too), optional `answer_type` ("choice" marks an
    MCQ), `kind` (puzzles are skipped), `mcq_status` (rows already decided are skipped — running
    the stage twice changes nothing), `drop_reason`, `review_reason`, `metadata`.

    Output columns (only on multiple-choice rows; every other row is returned untouched):
    - all: `mcq_status` (converted | not_convertible | review), `mcq_method` (rule | model, null when
      not converted), `mcq_reason` (REASONS key, or the rewrite rule for converted rows),
      `original_question`, `original_answer`, `original_choices` (set where null).
    - converted: `question` (stand-alone), `answer` (the correct option's value), `answer_unit`
      (stripped unit, e.g. "USD", "cm"), `answer_type` (verifier classification), `choices` = null,
      `rewritten_by` = "mcq".
    - not_convertible: `drop_reason` = "mcq_not_convertible" where null, when
      `settings.drop_not_convertible`.
    - review: `review_reason` = "mcq_ambiguous" where null; `metadata.mcq_proposal` = the proposed
      conversion when there is one.

    With `settings.model_mode`, rows not converted for a reason in `settings.model_reasons` are sent
    to the model (`model`, an OpenAI-compatible endpoint) for a rewrite; see `curation.mcq.model`.
    """
    if not settings.enabled or df.height == 0:
        return df
    added = [pl.lit(None, dtype=t).alias(c) for c, t in _NEEDED.items() if c not in df.columns]
    if added:
        df = df.with_columns(added)
    cols = {c: df.get_column(c).to_list() for c in _NEEDED}
    kinds = df.get_column("kind").to_list() if "kind" in df.columns else [None] * df.height

    results: dict[int, Conversion] = {}
    for i in range(df.height):
        if cols["mcq_status"][i] is not None or kinds[i] == "puzzle":
            continue
        q = cols["question"][i]
        if q is None:
            continue
        ch = cols["choices"][i]
        if not ch and cols["answer_type"][i] != "choice" and not _maybe_inline(q):
            continue
        conv = convert_item(q, ch or None, cols["answer"][i], answer_type=cols["answer_type"][i], settings=settings)
        if conv.status is not None:
            results[i] = conv

    if settings.model_mode and results:
        from curation.mcq.model import rewrite_rows

        todo = {i: c for i, c in results.items() if c.status == NOT_CONVERTIBLE and c.reason in settings.model_reasons}
        if todo:
            results.update(rewrite_rows(todo, model=model or ModelSettings(), settings=settings))

    if not results:
        return df
    out = {c: list(v) for c, v in cols.items()}
    for i, conv in results.items():
        out["original_question"][i] = out["original_question"][i] if out["original_question"][i] is not None else cols["question"][i]
        out["original_answer"][i] = out["original_answer"][i] if out["original_answer"][i] is not None else cols["answer"][i]
        if out["original_choices"][i] is None:
            out["original_choices"][i] = cols["choices"][i] if cols["choices"][i] else conv.choices
        out["mcq_status"][i] = conv.status
        out["mcq_reason"][i] = conv.reason
        if conv.status == CONVERTED:
            out["question"][i] = conv.question
            out["answer"][i] = conv.answer
            out["answer_unit"][i] = conv.answer_unit
            out["answer_type"][i] = conv.answer_type
            out["choices"][i] = None
            out["rewritten_by"][i] = "mcq"
            out["mcq_method"][i] = conv.method
        elif conv.status == NOT_CONVERTIBLE:
            if settings.drop_not_convertible and out["drop_reason"][i] is None:
                out["drop_reason"][i] = "mcq_not_convertible"
        elif conv.status == REVIEW:
            if out["review_reason"][i] is None:
                out["review_reason"][i] = "mcq_ambiguous"
            if conv.proposal:
                out["metadata"][i] = _merge_metadata(out["metadata"][i], "mcq_proposal", conv.proposal)
    return df.with_columns([pl.Series(c, v, dtype=_NEEDED[c]) for c, v in out.items() if c in _CHANGED])


_CHANGED = ("question", "answer", "answer_type", "answer_unit", "choices", "original_question", "original_answer",
            "original_choices", "rewritten_by", "mcq_status", "mcq_method", "mcq_reason", "review_reason",
            "drop_reason", "metadata")
_INLINE_HINT = re.compile(r"(?:^|\s)[(（]?\s*[AＡ]\s*[).:、．：）]")


def _maybe_inline(question: str) -> bool:
    return bool(_INLINE_HINT.search(question))


def mcq_counts(df: pl.DataFrame) -> dict[str, Any]:
    """{"converted": n, "not_convertible": {reason: n}, "review": {reason: n}, "not_mcq": n, "by_method": {...}}."""
    if "mcq_status" not in df.columns:
        return {"converted": 0, "not_convertible": {}, "review": {}, "not_mcq": df.height, "by_method": {}}
    rows = df.select("mcq_status", "mcq_reason", *(["mcq_method"] if "mcq_method" in df.columns else [])).to_dicts()
    out: dict[str, Any] = {"converted": 0, "not_convertible": {}, "review": {}, "not_mcq": 0, "by_method": {}}
    for r in rows:
        s = r["mcq_status"]
        if s is None:
            out["not_mcq"] += 1
        elif s == CONVERTED:
            out["converted"] += 1
            m = r.get("mcq_method") or "rule"
            out["by_method"][m] = out["by_method"].get(m, 0) + 1
        elif s in (NOT_CONVERTIBLE, REVIEW):
            bucket = out[s]
            bucket[r["mcq_reason"] or "unknown"] = bucket.get(r["mcq_reason"] or "unknown", 0) + 1
    return out


def mcq_alarms(df: pl.DataFrame, *, min_rows: int = 5) -> list:
    """A source whose multiple-choice rows (at least `min_rows`) were all refused for one reason:
    usually a mis-read shape (options not found, the key in another field), not a property of the data.
    Returns `curation.alarms.Alarm`s (kind `mcq_all_refused`), naming source, reason and an example row."""
    from curation.alarms import Alarm

    if "mcq_status" not in df.columns or df.height == 0:
        return []
    cols = [c for c in ("source", "source_row", "question", "mcq_status", "mcq_reason") if c in df.columns]
    mc = df.select(cols).filter(pl.col("mcq_status").is_not_null())
    if "source" not in mc.columns:
        mc = mc.with_columns(pl.lit("input").alias("source"))
    out = []
    for (source,), part in mc.group_by("source", maintain_order=True):
        if part.height < min_rows or (part["mcq_status"] == CONVERTED).any():
            continue
        reasons = part["mcq_reason"].unique().to_list()
        if len(reasons) != 1:
            continue
        first = part.row(0, named=True)
        text = str(first.get("question") or "")
        out.append(Alarm(str(source), "mcq_all_refused",
                         f"every multiple-choice row refused as {reasons[0]!r} ({REASONS.get(reasons[0], ('', ''))[1]})",
                         part.height, part.height, first.get("source_row"), text[:120] + ("…" if len(text) > 120 else "")))
    return out


def mcq_card_section(df: pl.DataFrame) -> str:
    """Markdown for the dataset card: converted (by method), not convertible by reason, review by reason."""
    c = mcq_counts(df)
    total = c["converted"] + sum(c["not_convertible"].values()) + sum(c["review"].values())
    lines = ["## Multiple-choice conversion", ""]
    if total == 0:
        lines.append("No multiple-choice items.")
        return "\n".join(lines) + "\n"
    pct = lambda n: f"{100.0 * n / total:.1f}%"  # noqa: E731
    lines += [
        f"{total} multiple-choice items: options removed and the answer replaced by the correct option's value "
        "where the stem stands alone.",
        "",
        "| outcome | reason | items | share |",
        "| --- | --- | ---: | ---: |",
    ]
    for method, n in sorted(c["by_method"].items()):
        lines.append(f"| converted | by {method} | {n} | {pct(n)} |")
    for status in (NOT_CONVERTIBLE, REVIEW):
        for reason, n in sorted(c[status].items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"| {status.replace('_', ' ')} | `{reason}` | {n} | {pct(n)} |")
    lines.append("")
    lines.append("Not-convertible items are dropped (`drop_reason = mcq_not_convertible`) unless configured "
                 "otherwise; review items wait for a human (`review_reason = mcq_ambiguous`).")
    for alarm in mcq_alarms(df):
        lines += ["", f"**Alarm:** {alarm.message()}"]
    return "\n".join(lines) + "\n"
