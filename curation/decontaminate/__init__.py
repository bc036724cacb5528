r"""Decontamination: flag (and by default drop) training rows that are the same problem as a benchmark item.

`load_benchmarks(settings.benchmarks, base_dir=...)` reads each configured benchmark exactly like a
source (`curation.ingest.ingest_source`: mapping, format, split, context field; a curate Parquet is
read as is), and `mark_contamination(df, benchmarks={name: frame}, settings=DecontaminateSettings())`
marks the rows. Figures: benchmarks/quality/contamination/README.md and `benchmarks/decontaminate.py`.

What counts as "the same problem" (every threshold is a `DecontaminateSettings` field):
1. Text (`text.py`): NFKC, lowercase, `[asy]` figure code dropped (two problems on one figure share
   all of it); what says nothing about the problem removed from both sides: source citations
   ("(2005 AMC 12B Problem, Question #8)", the near-duplicate rule's pattern), answer-choice lists
   "(A) ... (E) ...", answer-format sentences ("Express your answer as a common fraction."),
   answer-form clauses ("... can be written as $\frac mn$, where m and n are relatively prime positive
   integers. Find m+n." when the final ask uses only the form's letters and the clause makes them
   integers), a literal backslash-n; one spelling for "non-zero"/"nonzero" ("not zero"), for
   `\textless`, for math delimiters and for operators next to an ellipsis.
2. Tokens: LaTeX layout commands dropped (`\left`, `\text`, `\displaystyle`, ...), `\dfrac` → `frac`,
   `\frac12` → frac 1 2, thousands separators removed, numbers normalised (`0.50` → `0.5`); words
   and numbers are separate tokens (operators are compared separately, step 5).
3. Boilerplate: a token n-gram (`ngram`, default 5) is boilerplate when it occurs in at least
   `benchmark_common_items` items of one benchmark, or in at least max(`corpus_common_rows`,
   `corpus_common_share` x rows) training rows (counted for every n-gram with a count-min sketch;
   above 200,000 rows on a seeded sample). "where m and n are relatively prime positive integers.
   find m+n", an instruction many rows carry: none of these count as evidence, and none is required.
4. Candidates (`candidates.py`): (row, item) pairs sharing informative n-grams; coverage of the item
   = shared / the item's informative n-grams, of the row likewise; `score` = the larger, at least
   `min_score`; or at most `ngram` n-grams of the smaller side missing (a short text edited once);
   or the same numbers and both sides covered `min_math_cover`. A benchmark item shorter than
   `ngram` tokens is found as a token run inside the row.
5. Judged per pair (`judge.py`), first what always separates two problems: an item with no number, no
   rare word and no operator names no problem (a generic "Which of the following statements is
   true?": its options, not given, do); where the texts differ, a negation ("is zero" / "is not zero") or a word that changes the mathematics in the place of
   another ("area" / "perimeter"; the near-duplicate rule's `SIGNIFICANT_WORDS`, synonyms equal).
   Then a hit by any of three paths:
   - coverage: a longest common token span of at least `min_span` tokens (or the whole shorter
     text); both sides covered on their clean n-grams (no boilerplate token inside) at least
     `min_other_cover`; the better-covered side found in the other: its numbers (multiset,
     >= `min_number_agreement`; and >= `min_other_number_agreement` of the other side's numbers in
     it), its operators (+ - = < > ...: "x+y" / "x-y"), its rare words (at most
     `max_missing_rare_share` missing; a word in at most max(`rare_word_rows`, `rare_word_share` x
     documents) rows and items is rare, question words never; a typo, a word cut at the text's start
     or end, two words run together count as found) and its last `tail_tokens` tokens before
     trailing boilerplate as one run (the asked quantity sits at the end: "find c" and "find d" on
     one figure are two problems). A better-covered side with no number, rare word or operator (a
     generic sentence inside a longer row) is no hit;
   - mathematics (a reworded copy): the same numbers (at least one) and operators, each side's asked
     part in the other, each side's rare words in the other, both sides covered `min_math_cover`;
   - restated: the near-duplicate rule's same problem (`curation.dedup.content.same_problem`:
     function words and question phrasing free, typos, one redundant extra word, a copy cut in its
     first or last word), or its significant tokens equal but for one connective word ("where" /
     "in which").
   - answer-confirmed (`answer_confirmed`, on by default; a candidate pair the text rules reject, with
     score at least `answer_min_cover`; candidates are widened to that score only for pairs where both
     sides have a reference answer): both answers informative (the near-duplicate tier's
     `informative_answer` as for free response: no yes/no, single letter, stock word or integer below
     10; never a relation such as "x + y = 0", which the verifier compares by its right-hand side)
     and equivalent (`curation.dedup.answers.same_answer`, the bounded verifier); for a row or
     item in multiple-choice form the keyed option's text (`curation.dedup.nodes.keyed_answers`);
     each side has a number and the side with fewer numbers has all of them in the other; the generic,
     negation and significant-word checks above hold. Evidence kind `answer`.
6. The same with numbers masked (`#`, n-grams of mostly numbers left out; the coverage path only)
   gives the weaker template flag: the item's wording with other numbers (`template_min_score` of the
   item covered). It does not drop unless `drop_templates`; `digit_masked = false` turns it off.

Output columns: `contam_<name>` (id of the matched item of benchmark `name`, null when none),
`contam_template_<name>` (template matches, only rows without a hit on that benchmark),
`contaminated_by` (benchmark names with a hit appended, unique), `contamination` (evidence: one
struct per benchmark and kind with `benchmark`, `item_id`, `kind` = problem | answer | template, `score`,
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
