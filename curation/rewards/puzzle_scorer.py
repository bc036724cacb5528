"""Puzzle rewards through each generator's rule verifier, from the spec the RL row carries.

`extra_info["puzzle_spec"]` (JSON text) holds what the generator's `verify` reads from a record's
metadata (maze: walls, start, goal, optimal length; Sudoku: size, boxes, givens) plus `generator`.
So every shortest maze path is accepted (not only the one stored as `ground_truth`), and any grid
that keeps the givens and the rules is accepted. Without a spec (a row from an older export), the
answer must equal `ground_truth` letter for letter (separators ignored): right for Sudoku (unique
solutions), too strict for mazes with several shortest paths.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from curation.rewards.scorer import Verdict
from curation.text import last_boxed
from curation.verifier import extract_answer

#: metadata keys each generator's `verify` reads; exported as the row's puzzle spec
SPEC_KEYS = {
    "maze": ("generator", "rows", "cols", "open", "start", "goal", "optimal_length"),
    "sudoku": ("generator", "size", "box", "givens"),
}
_NOISE = re.compile(r"[^0-9A-Za-z]+")


def puzzle_spec(metadata: str | Mapping | None) -> str | None:
    """The scoring spec (compact JSON) of a generated puzzle from its record metadata; None if not a
    known generator's record."""
    if metadata is None:
        return None
    try:
        meta = json.loads(metadata) if isinstance(metadata, str) else dict(metadata)
    except (ValueError, TypeError):
        return None
    if not isinstance(meta, dict):
        return None
    keys = SPEC_KEYS.get(meta.get("generator"))
    if keys is None or any(k not in meta for k in keys):
        return None
    return json.dumps({k: meta[k] for k in keys}, separators=(",", ":"))


def _final_answer(response: str) -> str | None:
    boxed = last_boxed(response)
    if boxed is not None:
        return boxed
    return extract_answer(response).text


def score_puzzle(response: str, ground_truth: str, extra_info: Mapping[str, Any]) -> Verdict:
    from generators.registry import verify_record

    answer = _final_answer(response)
    if answer is None:
        return Verdict(0.0, "no final answer found in the response", None, answered=False)
    spec = extra_info.get("puzzle_spec")
    if isinstance(spec, Mapping):
        spec = json.dumps(dict(spec))
    if not spec:
        same = _NOISE.sub("", answer).upper() == _NOISE.sub("", ground_truth).upper()
        return Verdict(float(same), ("equals" if same else "differs from") + " the reference (no puzzle spec in extra_info)", answer)
    try:
        generator = json.loads(spec).get("generator")
    except (ValueError, AttributeError):
        return Verdict(0.0, "puzzle spec is not a JSON object", answer)
    record = {"id": extra_info.get("id"), "source": f"generator:{generator}", "metadata": spec}
    result = verify_record(record, answer)
    return Verdict(1.0 if result.ok else 0.0, result.reason, answer)
