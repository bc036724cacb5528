"""Ingest: read any source, map its fields, normalize text and answers → conformed problem table.

Input: a `SourceConfig` (path, format, field mapping). Output: `IngestResult` with
- `problems`: conformed to `schemas.polars_schema()`; columns filled here: id, source, source_file,
  source_row, source_id, kind, question, answer, answer_type, answer_unit, choices, solution, subject,
  raw_question, raw_answer (the source text, null where it equals the normalized value), metadata
  (JSON of the unmapped source fields, plus `curate_notes` when ingest changed the shape of the answer);
- `quarantine`: rows that could not be read (source, source_file, line, error, raw);
- `rows_read == problems.height + quarantine.height` (blank JSONL/CSV lines are not rows).

Speed: everything on the common path is a polars expression. Python runs only on rows that need it:
non-ASCII or oddly spaced text (NFKC), multiple-choice rows the vectorized MCQ path does not take,
stringified/list answers, solutions with several or deeply nested `\\boxed{}` groups, notes added to
unusual metadata, and the XXH3 of the content id (one batched `map`).

Answer normalization (raw value kept in `raw_answer` when it differs):
- text: NFKC + whitespace (same result as `curation.text.normalize_text`);
- floats that are integers → integer text (`27.0` → `27`, also the string `"27.0"`);
- lists / stringified lists: one element → that element (`"['2']"` → `2`); several → joined with
  `", "` and a note `multiple answers` in metadata;
- no answer but a solution (text or list of texts, joined) → last `\\boxed{}` of the solution when
  `answer_from_solution` (note `answer from solution`);
- units: with a mapped `unit` field its value is `answer_unit` (and a trailing copy is stripped from
  the answer); otherwise `number unit` (`5 cm`, `12 \\text{ cm}`, `3\\,\\mathrm{kg}`) with a known unit
  word is split into answer `5` and `answer_unit` `cm`; so is a number with a noun label in
  parentheses (`6 (birds)` → `6`, `birds`; ASDiv's style). Anything else (`30^\\circ`, `5\\%`, units inside
  expressions) stays as it is: the verifier handles degrees and percent.
- multiple choice (a choices field as list, labelled list `"A)$61"`, dict, or stringified, or inline
  options in the question): `choices` holds the option texts, `answer` the correct letter,
  `answer_type="choice"`. The answer may be a 0-based index, a letter (`C`, `(C)`, `Answer: C`) or
  the option text (a digit string that matches no option text is read as a 0-based index).
  Inline options are only taken when the answer maps to one of them (or there is no answer), to
  avoid reading "points A. and B." as options; the question is left as is (the MCQ stage strips).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xxhash

from curation.choices import LETTERS, answer_index, parse_choice_value, split_inline_choices
from curation.config import FieldMapping, SourceConfig
from curation.errors import SourceError
from curation.readers import RawTable, detect_format, read_raw
from curation.text import last_boxed, normalize_text, parse_literal, strip_trailing_boilerplate
from schemas import conform, polars_schema
from schemas.quarantine import QUARANTINE_SCHEMA, empty_quarantine  # the ingest result's quarantine table

# Field names recognised when the mapping leaves a role unset (first match wins, case-insensitive).
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    # `statement` / `nl_statement` last: theorem sets (ProofNet) name the text so and have none of the others
    "question": ("question", "problem", "prompt", "input", "query", "statement", "nl_statement"),
    "answer": ("answer", "final_answer", "correct", "correct_answer", "gold", "target", "answer_value"),
    "choices": ("choices", "options", "answer_option_list"),
    "solution": ("solution", "rationale", "explanation", "reasoning"),
    "id": ("id", "idx", "uid", "problem_id", "question_id"),
    "subject": ("subject", "type", "subfield", "domain", "category", "topic"),
    "unit": ("unit", "answer_unit", "units"),
    "context": ("context", "passage", "body"),
    "image": ("image", "picture", "figure", "image_path", "img"),
}
ROLES = tuple(DEFAULT_FIELDS)

UNIT_WORDS = (
    "mm cm dm m km in inch inches ft feet foot yd yard yards mi mile miles "
    "mg g kg lb lbs pound pounds oz ounce ounces t ton tons "
    "ms s sec secs second seconds min mins minute minutes h hr hrs hour hours day days week weeks "
    "month months year years "
    "mL ml L l liter liters litre litres gallon gallons "
    "cm^2 m^2 km^2 mm^2 in^2 ft^2 cm^3 m^3 mm^3 in^3 ft^3 cm2 m2 cm3 m3 "
    "degree degrees radian radians cent cents dollar dollars euro euros "
    "unit units sq mph kph km/h m/s cm/s N J W V A Hz kHz MHz K kJ kW Pa kPa"
).split()
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(UNIT_WORDS, key=len, reverse=True))
_NUM = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?"
_UNIT_RE = (
    rf"^\$?(?P<num>{_NUM})\$?\s*(?:\\[,;:!]\s*|~\s*)?"
    rf"(?:\\(?:text|mathrm|mbox|textrm|operatorname)\s*\{{\s*(?P<u1>{_UNIT_ALT})\s*\}}|(?P<u2>{_UNIT_ALT})"
    # a noun label in parentheses, as ASDiv writes every answer: `6 (birds)`, `350 (g)`, `3 (pieces of
    # candy)`; a single capital is an option label, not a unit: `5 (A)` stays
    rf"|\(\s*(?P<u3>[a-z]|[A-Za-z][A-Za-z'.\-]+(?: [A-Za-z][A-Za-z'.\-]*){{0,4}})\s*\))\.?$"
)

# Python's str.isspace() characters minus "\n" (what normalize_text's line.strip() removes).
_WS_NO_NL = "\t\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_WS_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _WS_NO_NL) + "]"
_ALL_WS = _WS_NO_NL + "\n"
# An ASCII string is unchanged by normalize_text unless it matches this.
_NEEDS_NORMALIZING = r"[\t\x0b\x0c\r\x1c-\x1f]|  | \n|\n |\n\n\n|^[\s\x1c-\x1f]|[\s\x1c-\x1f]$"
_NEEDS_NORMALIZING_INNER = r"[\t\x0b\x0c\r\x1c-\x1f]|  | \n|\n |\n\n\n"  # + first/last char checked apart
_NEEDS_NORMALIZING_CTRL = r"[\t\x0b\x0c\r\x1c-\x1f]"
_NEEDS_NORMALIZING_SEQ = r"  | \n|\n |\n\n\n"
_ASCII_EDGE_WS = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"  # ASCII chars that `\s` or `[\x1c-\x1f]` match


@dataclass
class IngestResult:
    problems: pl.DataFrame
    quarantine: pl.DataFrame
    rows_read: int


# ------------------------------------------------------------------------------ text (vectorized)


def _normalize_full(expr: pl.Expr) -> pl.Expr:
    """normalize_text as polars expressions (NFKC, line endings, spaces, line trims, blank lines)."""
    e = expr.str.normalize("NFKC")
    e = e.str.replace_all("\r\n", "\n", literal=True).str.replace_all("\r", "\n", literal=True)
    e = e.str.replace_all(r"[ \t\x0b\x0c\xa0]+", " ")
    e = e.str.replace_all(f"{_WS_CLASS}*\n{_WS_CLASS}*", "\n")
    e = e.str.replace_all(r"\n{3,}", "\n\n")
    return e.str.strip_chars(_ALL_WS)


def normalize_series(s: pl.Series) -> pl.Series:
    """`normalize_text` over a string Series; only rows that can change are touched."""
    s = s.cast(pl.Utf8)
    frame = s.to_frame("s")
    c = pl.col("s")
    # the same test as `_NEEDS_NORMALIZING` plus "not ASCII", split so that each part is a cheap
    # scan (a literal alternation and a small byte class get SIMD prefilters; a combined regex does not)
    mask = frame.select(
        (c.str.len_bytes() != c.str.len_chars())
        | c.str.contains(_NEEDS_NORMALIZING_SEQ)
        | c.str.contains(_NEEDS_NORMALIZING_CTRL)
        | (c.str.strip_chars(_ASCII_EDGE_WS).str.len_bytes() != c.str.len_bytes())  # edge whitespace
    ).to_series().fill_null(False)
    if not mask.any():
        return s
    idx = mask.arg_true()
    fixed = s.gather(idx).to_frame("s").select(_normalize_full(pl.col("s"))).to_series()
    return s.scatter(idx, fixed)


# ----------------------------------------------------------------------------- values → text


def _as_text(s: pl.Series, *, integral_floats: bool = False) -> pl.Series:
    """Any column → text. Nested values become compact JSON; floats that are integers optionally
    lose their `.0`."""
    dtype = s.dtype
    if dtype == pl.Utf8:
        return s
    if dtype == pl.Null:
        return s.cast(pl.Utf8)
    if dtype == pl.Boolean:
        return s.to_frame("s").select(pl.when(pl.col("s")).then(pl.lit("true")).when(pl.col("s").not_()).then(pl.lit("false"))).to_series()
    if dtype.is_float() and integral_floats:
        return s.to_frame("s").select(
            pl.when((pl.col("s").round(0) == pl.col("s")) & (pl.col("s").abs() < 2**53))
            .then(pl.col("s").cast(pl.Int64).cast(pl.Utf8))
            .otherwise(pl.col("s").cast(pl.Utf8))
        ).to_series()
    if dtype.is_numeric():
        return s.cast(pl.Utf8)
    if isinstance(dtype, (pl.List, pl.Array, pl.Struct)):
        return _json_values(s)
    return s.cast(pl.Utf8, strict=False)


def _json_values(s: pl.Series) -> pl.Series:
    """Each value as compact JSON text (null stays null)."""
    enc = s.to_frame("_").select(
        pl.when(pl.col("_").is_not_null()).then(pl.struct(pl.col("_")).struct.json_encode().str.slice(5).str.strip_suffix("}"))
    )
    return enc.to_series()


# ------------------------------------------------------------------------------- mapping


def _find_column(df: pl.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in df.columns}
    for name in names:
        if name in df.columns:
            return name
        if name.lower() in lower:
            return lower[name.lower()]
    return None


def _resolve_path(df: pl.DataFrame, path: str) -> pl.Expr | None:
    """A dotted path (`meta.answer`) as an expression, or None when no row has that field."""
    if path in df.columns:
        return pl.col(path)
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        if head in df.columns:
            expr = pl.col(head)
            dtype = df.schema[head]
            for part in parts[cut:]:
                if not isinstance(dtype, pl.Struct):
                    return None
                fields = {f.name: f.dtype for f in dtype.fields}
                if part not in fields:
                    return None
                expr = expr.struct.field(part)
                dtype = fields[part]
            return expr
    return None


def resolve_mapping(df: pl.DataFrame, mapping: FieldMapping, *, source: str) -> tuple[dict[str, pl.Expr | None], set[str]]:
    """Role → expression (None when absent), and the top-level columns consumed whole."""
    exprs: dict[str, pl.Expr | None] = {}
    used: set[str] = set()
    for role in ROLES:  # explicit mappings first, so recognition never takes their columns
        path = getattr(mapping, role)
        if path is None:
            continue
        expr = _resolve_path(df, path)
        if expr is None:
            have = ", ".join(df.columns[:20]) or "no fields"
            raise SourceError(f"source {source!r}: mapped field {role} = {path!r} is not in any row (fields: {have})")
        exprs[role] = expr
        if path in df.columns:
            used.add(path)
    for role in ROLES:
        if role in exprs:
            continue
        col = _find_column(df, DEFAULT_FIELDS[role])
        if col is not None and col in used:
            col = None
        exprs[role] = pl.col(col) if col is not None else None
        if col is not None:
            used.add(col)
    # an answer key in `label` when the answer field is empty in every row (AGIEval-style sets)
    if mapping.answer is None and df.height:
        label_col = _find_column(df, ("label",))
        ans = exprs["answer"]
        ans_empty = ans is None or df.select(ans.is_null().all()).item()
        if label_col is not None and label_col not in used and ans_empty and df[label_col].null_count() < df.height:
            exprs["answer"] = pl.col(label_col)
            used.add(label_col)
    if exprs["question"] is None and df.height:
        raise SourceError(
            f"source {source!r}: no question field (looked for {', '.join(DEFAULT_FIELDS['question'])}); "
            "set mapping.question"
        )
    return exprs, used


# --------------------------------------------------------------------------- answer helpers


def _scalar_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v).strip()


def _unlist_answer(text: str) -> tuple[str | None, str | None]:
    """`"['2']"` → ("2", None); `"['1','2']"` → ("1, 2", "multiple answers"); not a list → (text, None)."""
    value = parse_literal(text)
    if not isinstance(value, (list, tuple)):
        return text, None
    items = [t for t in (_scalar_text(v) for v in value) if t]
    items = [normalize_text(t) for t in items]
    if not items:
        return None, "empty answer list"
    if len(items) == 1:
        return items[0], None
    return ", ".join(items), "multiple answers"


# a/b, \frac{a}{b}, \dfrac{a}{b} (signed): typed without the verifier (integer when b divides a)
_FRACTION_RE = r"^[-+]?(?:(?P<n>\d{1,15})/(?P<d>\d{1,15})|\\[dt]?frac\{(?P<n2>\d{1,15})\}\{(?P<d2>\d{1,15})\})$"
_INT_RE = r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)$"
_NUMBER_RE = (
    r"^[-+]?(?:\d+\.\d*|\.\d+|\d+(?:\.\d+)?[eE][-+]?\d+|\d+/\d+|\\[dt]?frac\{\d+\}\{\d+\}|\d+\.\d+%?|\d+%)$"
)


@functools.lru_cache(maxsize=200_000)
def classify_answer(answer: str) -> str:
    """`curation.verifier.answer_type`, cached per distinct answer text."""
    from curation.verifier import answer_type

    return answer_type(answer)


# --------------------------------------------------------------------------------- content id


def _json_literal(expr: pl.Expr) -> pl.Expr:
    """A string expression as a JSON string literal, escaped exactly like `json.dumps(ensure_ascii=False)`."""
    return pl.struct(expr.alias("_")).struct.json_encode().str.slice(5).str.strip_suffix("}")


def content_ids(df: pl.DataFrame) -> pl.Series:
    """`schemas.content_id(kind, question, answer, choices)` for every row: the JSON payload is
    built with polars (escaping identical to `json.dumps(ensure_ascii=False)`, tested), the XXH3-64
    in one batched Python pass (`map` over the payloads; XXH3 is a frozen spec, stable everywhere —
    polars' own `hash` is not stable across versions)."""
    choices = pl.col("choices")
    choices_json = (
        pl.when(choices.list.len().fill_null(0) > 0)
        .then(pl.concat_str([pl.lit("["), choices.list.eval(_json_literal(pl.element())).list.join(", "), pl.lit("]")]))
        .otherwise(pl.lit("[]"))
    )
    payload = df.select(
        pl.concat_str(
            [
                pl.lit("["),
                _json_literal(pl.col("kind")),
                pl.lit(", "),
                _json_literal(pl.col("question").fill_null("")),
                pl.lit(", "),
                _json_literal(pl.col("answer").fill_null("")),
                pl.lit(", "),
                choices_json,
                pl.lit("]"),
            ]
        ).cast(pl.Binary)
    ).to_series()
    return pl.Series("id", list(map(xxhash.xxh3_64_hexdigest, payload.to_list())), dtype=pl.Utf8)


# ---------------------------------------------------------------------------------- building


def _patch(base: pl.Series, mask: pl.Series, fn, *inputs: pl.Series, dtype=pl.Utf8) -> pl.Series:
    """base with rows where mask holds replaced by fn(*input values) (Python, only on those rows)."""
    mask = mask.fill_null(False)
    if not mask.any():
        return base
    idx = mask.arg_true()
    cols = [s.gather(idx).to_list() for s in inputs]
    values = [fn(*vals) for vals in zip(*cols)]
    return base.scatter(idx, pl.Series(values, dtype=dtype))


# an option text that needs Python: a leading label ("A)", "(B)", "C." not followed by a digit),
# non-ASCII or odd whitespace (normalize_text would change it)
_OPTION_NEEDS_PYTHON = (
    r"^\s*(?:\(\s*[A-P]\s*\)|[A-P]\s*(?:[):、]|\.(?:\D|$)))|" + _NEEDS_NORMALIZING
)


def _simple_mcq(ch_raw: pl.Series, ans_raw: pl.Series | None, have: pl.Series) -> tuple[pl.Series, pl.Series] | None:
    """Vectorized fast path for the common MCQ shape: a list of plain ASCII option texts with a
    0-based integer index or a bare letter as the answer. Returns (letter, ok mask) or None.
    Rows it does not accept go through the Python path (same result, slower)."""
    if ans_raw is None or not (isinstance(ch_raw.dtype, pl.List) and ch_raw.dtype.inner == pl.Utf8):
        return None
    if not (ans_raw.dtype.is_integer() or ans_raw.dtype == pl.Utf8):
        return None
    frame = pl.DataFrame({"c": ch_raw, "a": ans_raw, "h": have})
    n_opts = pl.col("c").list.len()
    plain = ~pl.col("c").list.eval(
        pl.element().is_null()
        | (pl.element().str.len_bytes() != pl.element().str.len_chars())
        | pl.element().str.contains(_OPTION_NEEDS_PYTHON)
    ).list.any()
    if ans_raw.dtype.is_integer():
        index = pl.col("a").cast(pl.Int64)
    else:
        bare = pl.col("a").str.strip_chars()
        index = (
            pl.when(bare.str.contains(r"^[A-Pa-p]$"))
            .then(bare.str.to_uppercase().replace_strict({c: i for i, c in enumerate(LETTERS)}, default=None, return_dtype=pl.Int64))
            # digits that are not an option's text: a 0-based index (as `_answer_idx` reads them)
            .when(bare.str.contains(r"^\d{1,2}$") & ~pl.col("c").list.contains(bare).fill_null(False))
            .then(bare.cast(pl.Int64, strict=False))
        )
    out = frame.select(
        ok=(pl.col("h") & plain & (index >= 0) & (index < n_opts) & (n_opts <= len(LETTERS))).fill_null(False),
        letter=pl.lit(LETTERS).str.slice(index.fill_null(0), 1),
    )
    return out["letter"], out["ok"]


def _scatter_list(base: pl.Series, idx: pl.Series, values: list | pl.Series) -> pl.Series:
    """`base.scatter` for list[str] columns (polars cannot scatter lists): rows in idx set to values."""
    if len(idx) == len(base) and isinstance(values, pl.Series):  # every row (idx is sorted, unique)
        return values.cast(pl.List(pl.Utf8)).alias(base.name)
    patch = pl.DataFrame({"i": idx.cast(pl.Int64), "v": values if isinstance(values, pl.Series) else pl.Series(values, dtype=pl.List(pl.Utf8))})
    frame = pl.DataFrame({"b": base}).with_row_index("i").with_columns(pl.col("i").cast(pl.Int64))
    joined = frame.join(patch, on="i", how="left", maintain_order="left")
    in_patch = joined["i"].is_in(patch["i"].implode())
    return joined.select(pl.when(in_patch).then(pl.col("v")).otherwise(pl.col("b"))).to_series().alias(base.name)


def _build(raw: RawTable, source: SourceConfig, name: str) -> IngestResult:
    quarantine = (
        pl.DataFrame(
            {
                "source": [name] * len(raw.bad),
                "source_file": [raw.source_file] * len(raw.bad),
                "line": [b["line"] for b in raw.bad],
                "error": [b["error"] for b in raw.bad],
                "raw": [b["raw"] for b in raw.bad],
            },
            schema=QUARANTINE_SCHEMA,
        )
        if raw.bad
        else empty_quarantine()
    )
    df = raw.df
    n = df.height
    if n == 0:
        return IngestResult(conform(pl.DataFrame(schema=polars_schema())), quarantine, quarantine.height)

    exprs, used = resolve_mapping(df, source.mapping, source=name)

    def role(r: str) -> pl.Series | None:
        e = exprs[r]
        return None if e is None else df.select(e.alias(r)).to_series()

    q_raw = _as_text(role("question"))
    ans_raw = role("answer")
    ch_raw = role("choices")
    sol = role("solution")
    ctx = role("context")
    unit_in = role("unit")

    # question (+ shared context)
    raw_question = q_raw
    question_src = q_raw
    if ctx is not None:
        ctx_t = _as_text(ctx)
        question_src = pl.DataFrame({"c": ctx_t, "q": q_raw}).select(
            pl.when(pl.col("c").is_not_null() & (pl.col("c").str.strip_chars() != ""))
            .then(pl.concat_str([pl.col("c"), pl.lit("\n\n"), pl.col("q")], ignore_nulls=True))
            .otherwise(pl.col("q"))
        ).to_series()
    question = normalize_series(question_src)
    tail = question.str.contains(r"(?:~\s*[\w.]+\s*~?|https?://\S+|www\.\S+)\s*$").fill_null(False)
    if tail.any():
        question = _patch(question, tail, strip_trailing_boilerplate, question)

    # solution: text, or a list of texts joined
    if sol is not None:
        if isinstance(sol.dtype, (pl.List, pl.Array)):
            sol = sol.to_frame("s").select(pl.col("s").list.eval(pl.element().cast(pl.Utf8)).list.join("\n\n")).to_series()
        sol = _as_text(sol)
        # a column mixing texts and lists of texts arrives as text holding a JSON/Python list
        listy_sol = sol.str.contains(r"^\s*\[\s*['\"]").fill_null(False)
        if listy_sol.any():
            sol = _patch(sol, listy_sol, _join_solution, sol)
        solution = normalize_series(sol).str.replace_all(_CALC_ANNOTATION, "")
    else:
        solution = pl.Series("solution", [None] * n, dtype=pl.Utf8)

    # answer text
    notes = pl.Series("notes", [None] * n, dtype=pl.Utf8)
    if ans_raw is not None:
        raw_answer = _as_text(ans_raw)
        answer = normalize_series(_as_text(ans_raw, integral_floats=True))
        answer = answer.to_frame("a").select(
            pl.when(pl.col("a").str.contains(r"^[-+]?\d+\.0+$"))
            .then(pl.col("a").str.replace(r"\.0+$", ""))
            .when(pl.col("a") == "")
            .then(None)
            .otherwise(pl.col("a"))
        ).to_series()
        answer, solution, notes = _extract_answers(answer, solution, notes, source)
        # real lists, and stringified lists of quoted strings (`"['2']"`); `[2, 3]` is an interval
        if isinstance(ans_raw.dtype, (pl.List, pl.Array)):
            listy = ans_raw.is_not_null()
        else:
            listy = answer.str.contains(r"^\[\s*['\"].*['\"]\s*\]$") | answer.str.contains(r"^\(\s*['\"].*['\"]\s*,?\s*\)$")
        if listy.fill_null(False).any():
            idx = listy.fill_null(False).arg_true()
            pairs = [_unlist_answer(t) for t in answer.gather(idx).to_list()]
            answer = answer.scatter(idx, pl.Series([p[0] for p in pairs], dtype=pl.Utf8))
            notes = notes.scatter(idx, pl.Series([p[1] for p in pairs], dtype=pl.Utf8))
    else:
        raw_answer = pl.Series("raw_answer", [None] * n, dtype=pl.Utf8)
        answer = pl.Series("answer", [None] * n, dtype=pl.Utf8)

    # reference answer only inside the solution
    if source.answer_from_solution:
        need = (answer.is_null() & solution.is_not_null()).fill_null(False)
        if need.any():
            idx = need.arg_true()
            boxed = _last_boxed_series(solution.gather(idx))
            found = boxed.is_not_null()
            if found.any():
                where = idx.filter(found)
                values = boxed.filter(found)
                raw_answer = raw_answer.scatter(where, values)
                answer = answer.scatter(where, normalize_series(values))
                notes = notes.scatter(where, pl.repeat("answer from solution", len(where), eager=True, dtype=pl.Utf8))
    answer_type = pl.Series("answer_type", [None] * n, dtype=pl.Utf8)
    choices = pl.Series("choices", [None] * n, dtype=pl.List(pl.Utf8))

    # multiple choice: explicit choices field
    def mcq_row(choice_value, answer_value, answer_text):
        if isinstance(choice_value, dict):
            choice_value = {k: v for k, v in choice_value.items() if v is not None}
        parsed = parse_choice_value(choice_value)
        if parsed is None or not parsed.choices:
            return None, answer_text, None
        opts = [normalize_text(c) for c in parsed.choices]
        idx = _answer_idx(answer_value, opts)
        if idx is None:
            return opts, answer_text, None
        return opts, LETTERS[idx], "choice"

    if ch_raw is not None:
        have = ch_raw.is_not_null()
        if ch_raw.dtype == pl.Utf8:
            have = have & (ch_raw.str.strip_chars() != "")
        elif isinstance(ch_raw.dtype, (pl.List, pl.Array)):
            have = have & (ch_raw.list.len() > 0)
        have = have.fill_null(False)
        if have.any():
            # work on the rows that have options only; vectorized for plain lists, Python otherwise
            idx = have.arg_true()
            sub_c = ch_raw.gather(idx)
            sub_a = ans_raw.gather(idx) if ans_raw is not None else None
            sub_answer = answer.gather(idx)
            sub_choices = pl.Series([None] * len(idx), dtype=pl.List(pl.Utf8))
            sub_type = pl.Series([None] * len(idx), dtype=pl.Utf8)
            fast = _simple_mcq(sub_c, sub_a, pl.Series([True] * len(idx)))
            slow = pl.Series([True] * len(idx))
            if fast is not None:
                letters, ok = fast
                sub_answer = pl.DataFrame({"l": letters, "ok": ok, "a": sub_answer}).select(
                    pl.when(pl.col("ok")).then(pl.col("l")).otherwise(pl.col("a"))
                ).to_series()
                sub_type = pl.DataFrame({"ok": ok}).select(pl.when(pl.col("ok")).then(pl.lit("choice"))).to_series()
                sub_choices = pl.DataFrame({"c": sub_c, "ok": ok}).select(pl.when(pl.col("ok")).then(pl.col("c"))).to_series()
                slow = ~ok
            if slow.any():
                where = slow.arg_true()
                a_vals = sub_a.gather(where).to_list() if sub_a is not None else [None] * len(where)
                rows = [mcq_row(c, a, t) for c, a, t in zip(sub_c.gather(where).to_list(), a_vals, sub_answer.gather(where).to_list())]
                sub_choices = _scatter_list(sub_choices, where, [r[0] for r in rows])
                sub_answer = sub_answer.scatter(where, pl.Series([r[1] for r in rows], dtype=pl.Utf8))
                sub_type = sub_type.scatter(where, pl.Series([r[2] for r in rows], dtype=pl.Utf8))
            choices = _scatter_list(choices, idx, sub_choices)
            answer = answer.scatter(idx, sub_answer)
            answer_type = answer_type.scatter(idx, sub_type)

    # multiple choice: options inline in the question
    inline = (
        choices.is_null()
        & question.str.contains(r"(?:^|\s)\(?\s?A\s?[).:、]")
        & question.str.contains(r"(?:^|\s)\(?\s?B\s?[).:、]")
    ).fill_null(False)
    if inline.any():
        idx = inline.arg_true()
        ans_values = ans_raw.gather(idx).to_list() if ans_raw is not None else [None] * len(idx)
        out_c, out_a, out_t = [], [], []
        for q, a_val, a_txt in zip(question.gather(idx).to_list(), ans_values, answer.gather(idx).to_list()):
            parsed = split_inline_choices(q)
            if parsed is None:
                out_c.append(None), out_a.append(a_txt), out_t.append(None)
                continue
            opts = [normalize_text(c) for c in parsed.choices]
            k = _answer_idx(a_val if a_val is not None else a_txt, opts)
            if k is not None:
                out_c.append(opts), out_a.append(LETTERS[k]), out_t.append("choice")
            elif a_txt is None:
                out_c.append(opts), out_a.append(None), out_t.append(None)
            else:
                out_c.append(None), out_a.append(a_txt), out_t.append(None)
        choices = _scatter_list(choices, idx, out_c)
        answer = answer.scatter(idx, pl.Series(out_a, dtype=pl.Utf8))
        answer_type = answer_type.scatter(idx, pl.Series(out_t, dtype=pl.Utf8))

    # units
    answer_unit = pl.Series("answer_unit", [None] * n, dtype=pl.Utf8)
    frame = pl.DataFrame({"a": answer, "t": answer_type})
    if unit_in is not None:
        unit_t = normalize_series(_as_text(unit_in)).to_frame("u").select(
            pl.when(pl.col("u").str.strip_chars() != "").then(pl.col("u"))
        ).to_series()
        frame = frame.with_columns(u=unit_t)
        frame = frame.with_columns(
            a=pl.when(pl.col("u").is_not_null() & pl.col("t").is_null())
            .then(
                pl.col("a")
                .str.strip_suffix(pl.concat_str([pl.lit("\\text{"), pl.col("u"), pl.lit("}")]))
                .str.strip_suffix(pl.concat_str([pl.lit("\\text{ "), pl.col("u"), pl.lit("}")]))
                .str.strip_suffix(pl.col("u"))
                .str.strip_chars_end(" ~\\,")
            )
            .otherwise(pl.col("a"))
        )
        answer_unit = frame["u"]
        answer = frame["a"]
    g = answer.to_frame("a").select(pl.col("a").str.extract_groups(_UNIT_RE)).to_series().struct.unnest()
    has_unit = g["num"].is_not_null() & answer_type.is_null() & answer_unit.is_null()
    if has_unit.fill_null(False).any():
        answer = pl.DataFrame({"a": answer, "h": has_unit, "n": g["num"]}).select(
            pl.when(pl.col("h")).then(pl.col("n")).otherwise(pl.col("a"))
        ).to_series()
        answer_unit = pl.DataFrame({"u": answer_unit, "h": has_unit, "u1": g["u1"], "u2": g["u2"], "u3": g["u3"]}).select(
            pl.when(pl.col("h")).then(pl.coalesce("u1", "u2", "u3")).otherwise(pl.col("u"))
        ).to_series()

    # answer type: integers/decimals vectorized, the rest through the verifier (cached per value)
    if source.kind == "puzzle":
        answer_type = answer_type.fill_null("puzzle")
    types = pl.DataFrame({"a": answer, "t": answer_type}).select(
        pl.when(pl.col("t").is_not_null())
        .then(pl.col("t"))
        .when(pl.col("a").is_null())
        .then(pl.lit("unknown"))
        .when(pl.col("a").str.contains(_INT_RE))
        .then(pl.lit("integer"))
        .when(pl.col("a").str.contains(r"^[-+]?(?:\d+\.\d+|\.\d+)$"))
        .then(pl.lit("number"))
    ).to_series()
    # fractions a/b, \frac{a}{b}: integer when b divides a (only on the rows still untyped)
    todo = types.is_null()
    if todo.any():
        idx = todo.arg_true()
        g = answer.gather(idx).to_frame("a").select(pl.col("a").str.extract_groups(_FRACTION_RE).alias("g")).unnest("g")
        num = pl.coalesce("n", "n2").cast(pl.Int64, strict=False)
        den = pl.coalesce("d", "d2").cast(pl.Int64, strict=False)
        frac = g.select(pl.when(den > 0).then(pl.when(num % den == 0).then(pl.lit("integer")).otherwise(pl.lit("number")))).to_series()
        types = types.scatter(idx, frac)
    rest = types.is_null()
    if rest.any():
        idx = rest.arg_true()
        vals = answer.gather(idx)
        uniq = vals.unique()
        lut = pl.DataFrame({"a": uniq, "t": [classify_answer(v) for v in uniq.to_list()]})
        mapped = vals.to_frame("a").join(lut, on="a", how="left", maintain_order="left")["t"]
        types = types.scatter(idx, mapped)

    # ids, provenance, metadata
    source_id = None
    if exprs["id"] is not None:
        source_id = _as_text(role("id"), integral_floats=True)
    subject = normalize_series(_as_text(role("subject"))) if exprs["subject"] is not None else None

    unmapped = [c for c in df.columns if c not in used]
    if unmapped:
        metadata = df.select(pl.struct(unmapped).struct.json_encode().alias("m")).to_series()
    else:
        metadata = pl.Series("m", [None] * n, dtype=pl.Utf8)
    has_note = notes.is_not_null()
    if has_note.any():
        metadata = _add_notes(metadata, notes, has_note)

    out = pl.DataFrame(
        {
            "source": pl.repeat(name, n, eager=True, dtype=pl.Utf8),
            "source_file": pl.repeat(raw.source_file, n, eager=True, dtype=pl.Utf8),
            "source_row": pl.Series(raw.rows, dtype=pl.Int64),
            "source_id": source_id if source_id is not None else pl.Series([None] * n, dtype=pl.Utf8),
            "kind": pl.repeat(source.kind, n, eager=True, dtype=pl.Utf8),
            "question": question,
            "answer": answer,
            "answer_type": types,
            "answer_unit": answer_unit,
            "choices": choices,
            "solution": solution,
            "subject": subject if subject is not None else pl.Series([None] * n, dtype=pl.Utf8),
            "image": _image_text(role("image")) if exprs["image"] is not None else pl.Series([None] * n, dtype=pl.Utf8),
            "raw_question": raw_question,
            "raw_answer": raw_answer,
            "metadata": metadata,
        }
    )
    out = out.with_columns(pl.col("question").fill_null(""))
    # raw text only where normalization changed it (null = same as the normalized value)
    out = out.with_columns(
        raw_question=pl.when(pl.col("raw_question").eq_missing(pl.col("question"))).then(None).otherwise(pl.col("raw_question")),
        raw_answer=pl.when(pl.col("raw_answer").eq_missing(pl.col("answer"))).then(None).otherwise(pl.col("raw_answer")),
    )
    out = out.with_columns(id=content_ids(out))
    return IngestResult(conform(out, extra="drop"), quarantine, n + quarantine.height)


_CALC_ANNOTATION = r"<<[^<>\n]*>>"
_HASH_ANSWER = r"(?s)####\s*([^\n]*?)\s*$"
_ANSWER_IS = r"(?is)the\s+(?:final\s+)?answer\s+is\s*:?\s*\$?(.+?)\$?\s*\.?\s*$"


def _extract_answers(answer: pl.Series, solution: pl.Series, notes: pl.Series, source: SourceConfig):
    """Answer fields that hold a worked solution → the final answer; the worked text becomes the
    solution where none is mapped (calculator annotations removed). Mode from
    `mapping.answer_extraction`; unset: only the unambiguous GSM8K shape (ends in `#### X`)."""
    mode = source.mapping.answer_extraction
    if mode == "none":
        return answer, solution, notes
    frame = pl.DataFrame({"a": answer, "s": solution})
    a = pl.col("a")
    if mode in (None, "####"):
        found = frame.select(
            pl.when(a.str.contains(r"(?:^|\n)\s*####\s*\S[^\n]*\s*$")).then(a.str.extract(_HASH_ANSWER, 1))
        ).to_series()
        # "1,000" → "1000": the key is a number written with thousands separators
        found = found.to_frame("f").select(
            pl.when(pl.col("f").str.contains(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"))
            .then(pl.col("f").str.replace_all(",", "", literal=True))
            .otherwise(pl.col("f"))
        ).to_series()
        worked = frame.select(a.str.replace(r"(?s)\s*####[^\n]*\s*$", "")).to_series()
        note = "answer extracted from a worked solution (####)"
    elif mode == "boxed":
        found = _last_boxed_series(answer)
        worked = answer
        note = "answer extracted from a worked solution (last \\boxed{})"
    elif mode == "answer_is":
        found = frame.select(a.str.extract(_ANSWER_IS, 1).str.strip_chars()).to_series()
        worked = answer
        note = "answer extracted from a worked solution (the answer is)"
    else:  # regex
        if not source.mapping.answer_pattern:
            raise SourceError(f"source {source.name!r}: answer_extraction = 'regex' needs mapping.answer_pattern")
        try:
            found = frame.select(a.str.extract(source.mapping.answer_pattern, 1)).to_series()
        except pl.exceptions.PolarsError as exc:
            raise SourceError(f"source {source.name!r}: mapping.answer_pattern is not a valid regex: {exc}") from None
        worked = answer
        note = "answer extracted with answer_pattern"
    hit = (found.is_not_null() & (found.str.strip_chars() != "")).fill_null(False)
    if not hit.any():
        return answer, solution, notes
    idx = hit.arg_true()
    worked_clean = worked.gather(idx).str.replace_all(_CALC_ANNOTATION, "")
    sol_now = solution.gather(idx)
    new_sol = pl.DataFrame({"s": sol_now, "w": worked_clean}).select(pl.coalesce("s", "w")).to_series()
    return (
        answer.scatter(idx, normalize_series(found.gather(idx))),
        solution.scatter(idx, new_sol),
        notes.scatter(idx, pl.repeat(note, len(idx), eager=True, dtype=pl.Utf8)),
    )


def _image_text(s: pl.Series) -> pl.Series:
    """An image field as text: a file name or link as given; an embedded image (Hugging Face
    `Image` struct or raw bytes) as its `path`, else `<embedded image>` (the bytes are not copied);
    empty strings, false and empty lists are no image."""
    dtype = s.dtype
    if dtype == pl.Binary:
        s = s.to_frame("b").select(pl.when(pl.col("b").is_not_null()).then(pl.lit("<embedded image>"))).to_series()
    elif isinstance(dtype, pl.Struct):
        names = {f.name for f in dtype.fields}
        path = pl.col("i").struct.field("path").cast(pl.Utf8) if "path" in names else pl.lit(None, dtype=pl.Utf8)
        s = s.to_frame("i").select(
            pl.when(pl.col("i").is_not_null()).then(pl.coalesce(path, pl.lit("<embedded image>")))
        ).to_series()
    t = _as_text(s)
    return t.to_frame("t").select(
        pl.when(pl.col("t").str.strip_chars().is_in(["", "false", "null", "[]", "None"]).not_()).then(pl.col("t"))
    ).to_series()


def _answer_idx(value, options: list[str]) -> int | None:
    if isinstance(value, str):
        value = normalize_text(value)
        k = answer_index(value, options)
        if k is None and value.isdigit():
            k = answer_index(int(value), options)
        return k
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return _answer_idx(value[0], options)
    return answer_index(value, options)


_BOXED_START = r"\\(?:boxed|fbox)\s*\{"
# one `\boxed{...}` whose content nests braces at most 3 deep; `\x` pairs are skipped like find_boxed does
_BRACED_0 = r"(?:[^{}\\]|\\.)*"
_BRACED_1 = rf"(?:[^{{}}\\]|\\.|\{{{_BRACED_0}\}})*"
_BRACED_2 = rf"(?:[^{{}}\\]|\\.|\{{{_BRACED_1}\}})*"
_BOXED_ONE = rf"(?s){_BOXED_START}({_BRACED_2})\}}"


def _last_boxed_series(texts: pl.Series) -> pl.Series:
    """`last_boxed` over a text Series: vectorized when a text has no `\boxed{`/`\fbox{` (None) or
    exactly one whose braces balance within the nesting the regex covers (the common case); the
    rest (several groups, unbalanced or deeper braces) through `last_boxed` in Python."""
    frame = texts.to_frame("s").select(
        n=pl.col("s").str.count_matches(_BOXED_START).fill_null(0),
        v=pl.col("s").str.extract(_BOXED_ONE, 1).str.strip_chars(_ALL_WS),
    )
    # an empty `\boxed{}` is no answer (same as `last_boxed`)
    out = frame.select(pl.when((pl.col("n") == 1) & (pl.col("v") != "")).then(pl.col("v"))).to_series()
    slow = ((frame["n"] > 1) | ((frame["n"] == 1) & frame["v"].is_null())).fill_null(False)
    if slow.any():
        where = slow.arg_true()
        out = out.scatter(where, pl.Series([last_boxed(t) for t in texts.gather(where).to_list()], dtype=pl.Utf8))
    return out.alias(texts.name)


def _join_solution(text: str) -> str:
    value = parse_literal(text)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return "\n\n".join(value)
    return text


def _add_notes(metadata: pl.Series, notes: pl.Series, has_note: pl.Series) -> pl.Series:
    """metadata with `curate_notes: [note]` appended where a note is set. Vectorized for metadata
    that is null, `{}` or a JSON object without `curate_notes` (as `json_encode` writes it); the
    rest through `_add_note` (same keys and values; the appended part uses compact separators)."""
    has_note = has_note.fill_null(False)
    idx = has_note.arg_true()
    frame = pl.DataFrame({"m": metadata.gather(idx), "n": notes.gather(idx), "h": pl.repeat(True, len(idx), eager=True)})
    m = pl.col("m")
    entry = pl.concat_str([pl.lit('"curate_notes":['), _json_literal(pl.col("n")), pl.lit("]}")])
    obj = m.str.starts_with("{") & m.str.ends_with("}")
    simple = m.is_null() | (obj & ~m.str.contains('"curate_notes"', literal=True))
    out = frame.select(
        m=pl.when(~pl.col("h")).then(m)
        .when(m.is_null() | (m.str.strip_chars() == "{}")).then(pl.concat_str([pl.lit("{"), entry]))
        .when(simple).then(pl.concat_str([m.str.strip_suffix("}"), pl.lit(","), entry])),
        slow=(pl.col("h") & ~simple).fill_null(False),
    )
    patched = out["m"]
    if out["slow"].any():
        patched = _patch(patched, out["slow"], _add_note, frame["m"], frame["n"])
    return metadata.scatter(idx, patched)


def _add_note(metadata: str | None, note: str | None) -> str | None:
    try:
        obj = json.loads(metadata) if metadata else {}
    except ValueError:
        obj = {"metadata": metadata}
    if not isinstance(obj, dict):
        obj = {"metadata": obj}
    prior = obj.get("curate_notes", [])
    obj["curate_notes"] = [*(prior if isinstance(prior, list) else [prior]), note]  # a source field may hold anything
    return json.dumps(obj, ensure_ascii=False)


# --------------------------------------------------------------------------------- public API


def ingest_source(source: SourceConfig, *, base_dir: Path = Path(".")) -> IngestResult:
    """Read one configured source → IngestResult. Relative paths are relative to `base_dir`."""
    name = source.name or Path(source.path.removeprefix("hf://")).stem or source.path
    if source.path.startswith("hf://"):
        path: str | Path = source.path
    else:
        path = Path(source.path).expanduser()
        if not path.is_absolute():
            path = Path(base_dir) / path
    fmt = detect_format(path, source.format, source=name)
    # code problems (curation/code/readers.py): JSON files are read with json, keeping nested types
    if source.kind == "code" and fmt in ("jsonl", "json"):
        from curation.code.ingest import build_code_problems

        return IngestResult(*build_code_problems(None, source=name, path=path, fmt=fmt))
    raw = read_raw(path, fmt, source=name, split=source.split, max_row_bytes=source.max_row_bytes)
    if source.kind == "code" or (source.kind == "competition" and _is_code_table(raw.df.columns)):
        from curation.code.ingest import build_code_problems

        return IngestResult(*build_code_problems(raw, source=name, path=path, fmt=fmt))
    return _build(raw, source, name)


def _is_code_table(columns) -> bool:
    from curation.code.readers import is_code_table

    return is_code_table(columns)


def ingest_sources(sources: list[SourceConfig], *, base_dir: Path = Path(".")) -> IngestResult:
    """Ingest every source and concatenate (problems, quarantine, counts)."""
    results = [ingest_source(s, base_dir=base_dir) for s in sources]
    if not results:
        return IngestResult(conform(pl.DataFrame(schema=polars_schema())), empty_quarantine(), 0)
    return IngestResult(
        pl.concat([r.problems for r in results], how="vertical"),
        pl.concat([r.quarantine for r in results], how="vertical"),
        sum(r.rows_read for r in results),
    )


def ingest_file(path: Path) -> IngestResult:
    """Ingest one file (or HF folder / `hf://NAME`) with the default field recognition."""
    path_text = str(path)
    if path_text.startswith("hf:/") and not path_text.startswith("hf://"):
        path_text = "hf://" + path_text[len("hf:/"):]  # Path("hf://x") collapses the double slash
    name = Path(path_text.removeprefix("hf://")).stem
    return ingest_source(SourceConfig(name=name, path=path_text))


def write_quarantine(quarantine: pl.DataFrame, path: Path) -> None:
    """Write quarantined rows as JSONL (one object per bad row), atomically."""
    from curation.files import atomic_path

    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for row in quarantine.iter_rows(named=True):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
