"""Deduplication: exact duplicates, same-template groups, MinHash-LSH near duplicates, clusters.

Package layout (one responsibility per module): `normalize` (text normalization, also used by
decontamination), `minhash` (shingles, signatures, band keys, exact Jaccard, components), `nodes`
(graph nodes and the representative order), `index` (persisted index for incremental mode),
`clusters` (the engine), `stage` (the stage functions), `report` (summary and card section).
Every name below is importable from `curation.dedup` and is its public, stable API.

Stage functions (keyword-only settings, never remove rows):

- `mark_exact_duplicates(df)` — rows whose *normalized* question is identical form a cluster.
- `mark_template_groups(df)` — rows whose normalized question is identical once digits are masked,
  but that are not all the same text, share a `template_group` (a flag, never a drop).
- `mark_near_duplicates(df)` — exact groups plus verified MinHash-LSH near-duplicate pairs, joined
  into clusters by connected components (this recomputes the cluster columns, so it subsumes the
  exact step).
- `mark_duplicates(df, settings=, source_priority=, index_dir=)` — template groups, then exact +
  near clusters; with `index_dir`, the batch is deduplicated against a persisted index of an
  existing curated dataset (incremental mode; see `update_index`).

Input columns: `id`, `source`, `question`, `choices`, `answer`, `answer_type`, `solution`, `drop_reason`,
`review_reason`. The text a row is identified by is its question and, for a row still in
multiple-choice form (non-empty `choices`), its options (`normalize.dedup_question`): one stem with
other options is another item. Output columns: `exact_dup_of`, `template_group`, `cluster_id`, `duplicate_of`,
`dup_similarity`, `conflicting_answers`, `drop_reason`, `review_reason`.

Normalization (`normalized_text_expr` / `normalize_series`, polars only): NFKC, lowercase; `$$`, `\\[ \\]`, `\\( \\)` → `$`;
`\\dfrac`/`\\tfrac` → `\\frac`; `\\left`, `\\right`, `\\big…` sizing and `\\displaystyle` dropped; `\\leq`/
`\\leqslant`/`≤` → `\\le`, likewise `\\ge`, `\\ne`; LaTeX spacing (`\\,` `\\;` `\\:` `\\!` `\\ ` `~` `\\quad`
`\\qquad`) → space; whitespace runs collapsed; spaces next to any non-word character, and between a
command and a following non-letter, removed (so spacing inside math and around punctuation does
not matter). Digits are kept: problems that differ
only in their numbers are *different* exact keys; `template_group` reports them instead.

Near duplicates are the *same problem* written otherwise. Character `shingle_size`-grams of the
`shingle_text` (the normalized question without `$` and braces), MinHash (`num_perm`, `seed`,
datasketch-identical, see `curation.dedup.minhash`), LSH with `bands` x `rows`, where each band key
also folds in the row's number multiset (`curation.dedup.content.number_keys`: texts with other
numbers never share a bucket). Buckets are linked in linear time (`curation.dedup.lsh`: a pivot per
bucket per round, never all pairs; work cap `max_pivots` rounds, `max_bucket`). A checked pair is an
edge when its exact Jaccard is >= `threshold` *and*, with `require_same_problem` (default), the
same-problem rule holds (`curation.dedup.content.same_problem`: the significant tokens - every math
token, numbers, content words - agree in order, up to typos and the rewordings listed there; the
original casing is passed along so a person renamed consistently is recognized). With
`answer_confirmed` (default), a pair the rule rejects is still an edge when the math agrees token for
token, the prose is reworded (no word moved, no number word changed) and both reference answers
(for a row in multiple-choice form: the keyed option's text, `nodes.keyed_answers`) are equivalent
and informative (`curation.dedup.content.answer_confirmed`); a member linked only through such an
edge gets `same_problem_by = "answer"`, every other duplicate `"text"`. Pairs that fail are
template variants: kept (`template_group` marks the digit-only ones).

Clusters are the connected components of exact and near edges (transitive: A~B and B~C give one
cluster even when A and C are not similar). `cluster_id` is the representative's id and is set on
every member of a cluster with more than one member.

Representative rule (first difference wins):
  1. in incremental mode, rows of the existing dataset (they are never dropped);
  2. rows without a `drop_reason` from an earlier stage (already-dropped rows still join clusters
     and can link other rows, but are never chosen while a live member exists);
  3. higher source priority (`source_priority[source]`, default 0);
  4. has a solution (non-empty);
  5. has a verified answer (non-empty answer and `answer_type != "unknown"`);
  6. lowest `id`; 7. first row.

Every other member gets `duplicate_of` = representative id and `dup_similarity` = its exact
character-shingle Jaccard similarity *to the representative* (1.0 for an identical normalized
text; it can be below `threshold` for a member joined transitively). `exact_dup_of` = id of the best
member (same rule) with the identical normalized text, when that is another row. When
`drop_duplicates`, `drop_reason` = "exact_duplicate" (row has `exact_dup_of`) or "near_duplicate",
only where it is null.

Conflicting answers: when the live members of a cluster (not dropped by an earlier stage) carry
answers that `curation.dedup.answers.same_answer` does not find equal (the verifier on the answers
as written, plus noun labels `6 (birds)`, decimals to fewer places and the final value of a worked
solution; "1/2" and "0.5" agree), every member gets `conflicting_answers=True`, and every live
member in this batch gets `review_reason="conflicting_answers"` where null and *no* duplicate
`drop_reason`: the whole cluster waits for a reviewer, with every member and its answer as
evidence, and a cluster decision settles it (`curation/review/README.md`: keep one member, the
others dropped as `duplicate_of_reviewed`; not duplicates, remembered and passed back as
`not_duplicates=`; or drop all).

Incremental mode (`index_dir`): the folder holds `params.json` (shingle size, permutations, bands,
rows, seed, normalization and hash versions — a run with other values is refused with
`DedupIndexError`; the threshold may differ) and `part-NNNNN.parquet` files with one row per indexed
problem: `id, source, norm` (normalized question), `ans` (normalized answer; a multiple-choice key as its option's text), `has_solution`,
`verified`, `tmpl` (stable xxh3 hash of the digit-masked text), `nums` (number-multiset key),
`nhash` / `nlen` (hash and length of `norm`) and the band keys `b0..b{bands-1}` (uint64). The index
is loaded without `norm` (`LoadedIndex`); the texts of the rows a batch touches are read back by
position. Existing rows take part when they share a normalized text or an LSH bucket with a batch
row (their shingles are recomputed from `norm` for the exact check); they rank before every batch
row, so a batch row duplicating an existing row gets `duplicate_of` = the existing id. Existing rows
are not in the output and are never modified (a conflict with an existing row flags the batch
members only). `update_index(df_kept, index_dir, settings)` appends a part file.
"""

from __future__ import annotations

from curation.dedup.clusters import engine, near_duplicate_edges
from curation.dedup.index import DedupIndexError, INDEX_FORMAT, PARAMS_FILE, LoadedIndex, load_index, update_index
from curation.dedup.minhash import minhash_signatures, window_hashes
from curation.dedup.normalize import (
    NORMALIZATION_VERSION,
    normalize_series,
    normalized_answer_expr,
    normalized_question_expr,
    normalized_text_expr,
    shingle_text,
    stable_hashes,
    template_expr,
)
from curation.dedup.report import dedup_card_section, dedup_summary
from curation.dedup.stage import (
    mark_duplicates,
    mark_exact_duplicates,
    mark_near_duplicates,
    mark_puzzle_copies,
    mark_template_groups,
    signature_texts,
    source_priority_from_config,
)

__all__ = [
    "near_duplicate_edges",
    "DedupIndexError",
    "INDEX_FORMAT",
    "LoadedIndex",
    "NORMALIZATION_VERSION",
    "PARAMS_FILE",
    "dedup_card_section",
    "dedup_summary",
    "engine",
    "load_index",
    "mark_duplicates",
    "mark_exact_duplicates",
    "mark_near_duplicates",
    "mark_puzzle_copies",
    "mark_template_groups",
    "minhash_signatures",
    "normalize_series",
    "normalized_answer_expr",
    "normalized_question_expr",
    "normalized_text_expr",
    "shingle_text",
    "signature_texts",
    "source_priority_from_config",
    "stable_hashes",
    "template_expr",
    "update_index",
    "window_hashes",
]
