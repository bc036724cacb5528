"""Sanity alarms: warn when a source's rows look mis-read, so no source loses its rows silently.

`sanity_alarms(df, threshold=...)` looks at a frame after ingest/clean (columns source, source_row,
question, answer, drop_reason, metadata) and returns `Alarm`s:
- `reason_share`: one drop reason takes more than `threshold` of a source's rows (e.g. every row
  `missing_answer` because the answer key sits in a field the mapping does not name);
- `all_rows_lost`: every row of a source is dropped (whatever the reasons);
- `worked_solution_answers`: more than `solution_share` of a source's answers look like worked
  solutions (long, several sentences or lines) rather than final answers;
- `question_fragment`: the mapped question is short while an unmapped text field (in `metadata`) is
  much longer, e.g. a set split into `Body` and `Question` read without its body.
Each alarm names the source, the reason and one example row. `check_alarms(..., strict=True)`
raises `DataAlarmError` (a `CurateError`: the CLI prints one line and exits 2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

from curation.errors import CurateError


class DataAlarmError(CurateError):
    """A sanity alarm fired and strict mode is on."""


@dataclass(frozen=True)
class Alarm:
    source: str
    kind: str
    reason: str
    count: int
    total: int
    example_row: int | None
    example: str

    def message(self) -> str:
        where = f" (e.g. row {self.example_row}: {self.example!r})" if self.example else ""
        return f"source {self.source!r}: {self.reason} in {self.count} of {self.total} rows{where}"


_WORKED = r"(?s)^.{80,}$"
_SENTENCES = r"[.!?]\s+\S|\n"


def _example(sub: pl.DataFrame, column: str) -> tuple[int | None, str]:
    if sub.height == 0:
        return None, ""
    row = sub.row(0, named=True)
    text = str(row.get(column) or "")
    return row.get("source_row"), (text[:120] + "…") if len(text) > 120 else text


def sanity_alarms(df: pl.DataFrame, *, threshold: float = 0.5, solution_share: float = 0.2) -> list[Alarm]:
    if df.height == 0 or "source" not in df.columns:
        return []
    out: list[Alarm] = []
    for (source,), part in df.group_by("source", maintain_order=True):
        n = part.height
        if "drop_reason" in part.columns:
            dropped = part.filter(pl.col("drop_reason").is_not_null())
            if dropped.height == n and n > 0:
                row, ex = _example(part, "question")
                top = dropped["drop_reason"].value_counts(sort=True).row(0)[0]
                out.append(Alarm(source, "all_rows_lost", f"every row dropped (mostly {top})", n, n, row, ex))
            for reason, count in dropped["drop_reason"].value_counts(sort=True).iter_rows():
                if count / n > threshold:
                    row, ex = _example(part.filter(pl.col("drop_reason") == reason), "question")
                    out.append(Alarm(source, "reason_share", f"drop reason {reason!r} takes {count / n:.0%}", count, n, row, ex))
        if "answer" in part.columns:
            worked = part.filter(pl.col("answer").str.contains(_WORKED).fill_null(False)
                                 & (pl.col("answer").str.count_matches(_SENTENCES).fill_null(0) >= 2))
            if n and worked.height / n > solution_share:
                row, ex = _example(worked, "answer")
                out.append(Alarm(source, "worked_solution_answers", "answers look like worked solutions (set mapping.answer_extraction)", worked.height, n, row, ex))
        alarm = _fragment_alarm(source, part)
        if alarm is not None:
            out.append(alarm)
    return out


def _fragment_alarm(source: str, part: pl.DataFrame, sample: int = 200) -> Alarm | None:
    """Median mapped question shorter than 60 characters while an unmapped text field is at least
    twice as long (median over the first `sample` rows)."""
    if "metadata" not in part.columns or "question" not in part.columns:
        return None
    head = part.head(sample)
    q_len = head["question"].fill_null("").str.len_chars().median() or 0
    if q_len >= 60:
        return None
    lengths: dict[str, list[int]] = {}
    for meta in head["metadata"].to_list():
        try:
            obj = json.loads(meta) if meta else {}
        except ValueError:
            continue
        if isinstance(obj, dict):
            for key, value in obj.items():
                if isinstance(value, str) and key != "curate_notes":
                    lengths.setdefault(key, []).append(len(value))
    for key, ls in lengths.items():
        ls = sorted(ls)
        med = ls[len(ls) // 2]
        if len(ls) >= len(head) // 2 and med >= 2 * q_len and med >= 40:
            row, ex = _example(head, "question")
            return Alarm(source, "question_fragment",
                         f"the question (median {q_len:.0f} chars) looks like a fragment next to unmapped field {key!r} (median {med} chars); set mapping.context",
                         part.height, part.height, row, ex)
    return None


def check_alarms(df: pl.DataFrame, *, strict: bool = False, threshold: float = 0.5) -> list[Alarm]:
    """The alarms; with `strict`, the first one raises `DataAlarmError`."""
    alarms = sanity_alarms(df, threshold=threshold)
    if strict and alarms:
        more = f" (and {len(alarms) - 1} more)" if len(alarms) > 1 else ""
        raise DataAlarmError(alarms[0].message() + more)
    return alarms


def alarms_card_section(df: pl.DataFrame, *, threshold: float = 0.5) -> str:
    """The dataset card's "Sanity alarms" section (empty string when there are none)."""
    alarms = sanity_alarms(df, threshold=threshold)
    if not alarms:
        return ""
    lines = ["## Sanity alarms", "", "Rows of these sources may have been mis-read (check the mapping):", ""]
    lines += [f"- **{a.kind}**: {a.message()}" for a in alarms]
    return "\n".join(lines)
