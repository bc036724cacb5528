r"""Decontamination: flag (and by default drop) training rows that are the same problem as a benchmark item.

`load_benchmarks(settings.benchmarks, base_dir=...)` reads each configured benchmark exactly like a
source (`curation.ingest.ingest_source`: mapping, format, split, context field; a curate Parquet is
read as is), and `mark_contamination(df, benchmarks={name: frame}, settings=DecontaminateSettings())`
marks the rows. Figures: benchmarks/quality/contamination/README.md and `benchmarks/decontaminate.py`.

What counts as "the same problem" (every threshold is a `DecontaminateSettings` field):
1. Tokens: NFKC, lowercase, `[asy]` figure code dropped (two problems on one figure share all of
   it), LaTeX layout commands dropped (`\left`, `\text`, `\displaystyle`, ...), `\dfrac` → `frac`,
   `\frac12` → frac 1 2, thousands separators removed, numbers normalised (`0.50` → `0.5`); words
   and numbers are separate tokens.
2. Boilerplate: a token n-gram (`ngram`, default 5) is boilerplate when it occurs in at least
   `benchmark_common_items` items of one benchmark, or in at least max(`corpus_common_rows`,
   `corpus_common_share` x rows) training rows (counted for every n-gram with a count-min sketch;
   above 200,000 rows on a seeded sample). "where m and n are relatively prime positive integers.
   find m+n", "express your answer as a common fraction", an instruction many rows carry: none of
   these count as evidence, and none is required.
3. Candidates: (row, item) pairs sharing informative n-grams; coverage of the item = shared / the
   item's informative n-grams, of the row likewise; `score` = the larger, at least `min_score`.
   A benchmark item shorter than `ngram` tokens is found as a token run inside the row.
4. Judged per pair: a longest common token span of at least `min_span` tokens (or the whole shorter
   text); both sides covered on their clean n-grams (no boilerplate token inside) at least
   `min_other_cover`; and the better-covered side found in the other: its numbers (multiset,
   >= `min_number_agreement`), its rare words (at most `max_missing_rare_share` missing; a word in at
   most max(`rare_word_rows`, `rare_word_share` x documents) rows and items is rare) and its last
   `tail_tokens` tokens before trailing boilerplate as one run (the asked quantity sits at the end:
   "find c" and "find d" on one figure are two problems).
5. The same with numbers masked (`#`, n-grams of mostly numbers left out) gives the weaker template
   flag: the item's wording with other numbers (`template_min_score` of the item covered). It does
   not drop unless `drop_templates`; `digit_masked = false` turns it off.

Output columns: `contam_<name>` (id of the matched item of benchmark `name`, null when none),
`contam_template_<name>` (template matches, only rows without a hit on that benchmark),
`contaminated_by` (benchmark names with a hit appended, unique), `contamination` (evidence: one
struct per benchmark and kind with `benchmark`, `item_id`, `kind` = problem | template, `score`,
`span` = the longest common token span) and, with `drop_contaminated`, `drop_reason = "contaminated"`
where null. The item id is the benchmark's own id (`source_id`), else curate's `id`, else its row.

Vectorized where it matters: tokens via polars, n-gram hashes via numpy (hashes are compared only
within one process), candidates via polars joins; only candidate pairs get the Python checks.
"""

from curation.decontaminate.marking import (
    KINDS,
    contam_column,
    find_matches,
    mark_contamination,
    template_column,
)
from curation.decontaminate.reading import benchmark_name, load_benchmarks
from curation.decontaminate.report import contamination_card_section, contamination_summary
from curation.decontaminate.text import tokens

__all__ = [
    "KINDS", "benchmark_name", "contam_column", "contamination_card_section", "contamination_summary",
    "find_matches", "load_benchmarks", "mark_contamination", "template_column", "tokens",
]
