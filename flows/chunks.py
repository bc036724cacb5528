"""The chunked pieces of dedup and puzzle generation (no Prefect here: plain functions the tasks call).

Dedup: `compute_signature_chunk` computes the MinHash signatures of a row range of the input and
saves them as `.npy`; `compute_band_group_edges` runs the band/link pass of one group of LSH bands
(bands are independent) over every row, reading only that group's signature columns, and saves the
verified edges (row pairs + Jaccard) as `.npz`; the cluster task then runs the stage itself
(`run_stage`) with `near_edges=load_edges(files)`: exact duplicates, union-find and representatives
need every row, so that part is one task, and only edges reach it. With an existing dedup index the
cluster task links against the index itself with `signatures=load_signatures(files)`. The
signatures are the very ones `mark_duplicates` would compute itself: same output.

Generation: `seed_chunks` splits a request's seeds the way `generators.generate_records` assigns
them (item i: seed + i); `generate_chunk_file` writes one chunk's records as Parquet; the merge task
runs the stage itself (`run_stage`) with `pregenerated=` the chunk files' records per request.

Both are explicit inputs of the stage's run function (`curation.pipeline.step_dedup`,
`step_generate`): nothing in the library is swapped at run time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from curation.io import atomic_path
from schemas import conform

# --- dedup ----------------------------------------------------------------------------------------


def signature_texts(df: pl.DataFrame):
    """The texts dedup signs: `curation.dedup.signature_texts` (the normalized question of each row)."""
    from curation.dedup import signature_texts as texts

    return texts(df)


def row_count(path: str | Path) -> int:
    return pl.scan_parquet(path).select(pl.len()).collect().item()


def _save_npy(array: np.ndarray, path: Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, array)


def keys_file(signature_file: str | Path) -> Path:
    """Where a signature chunk's per-row text keys live: next to its `.npy` (`<name>.keys.npy`)."""
    p = Path(signature_file)
    return p.with_name(p.stem + ".keys.npy")


def _text_key_columns(part: pl.DataFrame) -> np.ndarray:
    """(rows, 2) uint64: the hash of the normalized dedup text (0: no text row, e.g. a puzzle) and
    the number key (`curation.dedup.clusters.text_keys`) of each row of `part`."""
    from curation.dedup.clusters import text_keys
    from curation.dedup.normalize import dedup_question

    h, k = text_keys(dedup_question(part))
    if "kind" in part.columns:
        h[(part["kind"] == "puzzle").fill_null(False).to_numpy()] = 0  # puzzles are not text rows
    return np.stack([np.asarray(h, dtype=np.uint64), np.asarray(k, dtype=np.uint64)], axis=1)


def _key_source_columns(input_file: str | Path) -> list[str]:
    names = pl.scan_parquet(input_file).collect_schema().names()
    # the dedup identity of a multiple-choice row includes its options (`dedup_question`)
    return ["question"] + [c for c in ("choices", "kind") if c in names]


def compute_signature_chunk(cfg, input_file: str, start: int, stop: int, out_file: str) -> dict[str, Any]:
    """Signatures of rows [start, stop) of `input_file` saved to `out_file` (uint32, (rows, num_perm)),
    and the rows' text keys (`_text_key_columns`) saved to `keys_file(out_file)`: every band-group
    task reads them instead of normalizing every question again."""
    from curation.dedup.minhash import minhash_signatures
    from flows.fingerprint import file_digest

    part = pl.read_parquet(input_file, columns=_key_source_columns(input_file)).slice(start, stop - start)
    df = conform(part.select("question"))
    texts = signature_texts(df)
    sig = minhash_signatures(
        texts, num_perm=cfg.dedup.num_perm, seed=cfg.dedup.seed, shingle_size=cfg.dedup.shingle_size
    )
    out = Path(out_file)
    _save_npy(sig, out)
    keys = keys_file(out)
    _save_npy(_text_key_columns(part), keys)
    return {"file": str(out), "rows": stop - start, "products": {str(out): file_digest(out), str(keys): file_digest(keys)}}


def load_signatures(signature_files: list[str | Path]) -> np.ndarray | None:
    """The chunk signature files concatenated in order: the signatures of every input row."""
    if not signature_files:
        return None
    return np.concatenate([np.load(p) for p in signature_files])


def band_groups(bands: int, groups: int) -> list[tuple[int, int]]:
    """`groups` contiguous (first_band, band_count) ranges covering bands 0..bands-1 (as even as can be)."""
    groups = max(1, min(groups, bands))
    cuts = [round(i * bands / groups) for i in range(groups + 1)]
    return [(a, b - a) for a, b in zip(cuts, cuts[1:]) if b > a]


def _group_signature_columns(signature_files: list[str | Path], first: int, stop: int) -> np.ndarray:
    """Columns [first, stop) of the chunk signature files, stacked: the rest stays on disk (mmap)."""
    return np.concatenate([np.asarray(np.load(p, mmap_mode="r")[:, first:stop]) for p in signature_files])


def compute_band_group_edges(
    cfg, input_file: str, signature_files: list[str], first_band: int, band_count: int, out_file: str,
    *, key_rows: int = 500_000,
) -> dict[str, Any]:
    """Verified near-duplicate edges of one band group, saved to `out_file` (.npz: `pairs` (k, 2)
    int64 row positions, `similarities` (k,)): what travels to the cluster task.

    Memory: 16 bytes a row (text hash + number key: read from the signature chunks' `.keys.npy`, or
    computed `key_rows` rows at a time when those are missing) plus this group's signature columns;
    texts are read from the input file (shared storage) only for the rows of the pairs checked,
    never sent."""
    from curation.dedup import normalize_series
    from curation.dedup.clusters import band_group_edges
    from curation.dedup.nodes import keyed_answers
    from curation.dedup.normalize import dedup_question
    from flows.fingerprint import file_digest

    scan = pl.scan_parquet(input_file)
    text_cols = [c for c in _key_source_columns(input_file) if c != "kind"]
    saved = [keys_file(f) for f in signature_files]
    if saved and all(p.exists() for p in saved):  # computed once by the signature chunk tasks
        keys = np.concatenate([np.load(p) for p in saved])
        hashes, numkeys = [keys[:, 0]], [keys[:, 1]]
    else:  # signature files from elsewhere: compute the keys here, `key_rows` rows at a time
        hashes, numkeys = [], []
        for start in range(0, row_count(input_file), key_rows):
            keys = _text_key_columns(scan.slice(start, key_rows).select(_key_source_columns(input_file)).collect())
            hashes.append(keys[:, 0])
            numkeys.append(keys[:, 1])

    def read_originals(rows: np.ndarray) -> pl.Series:  # sorted row positions -> their dedup texts (with options)
        want = pl.DataFrame({"_row": pl.Series(rows.astype(np.uint32))})
        got = scan.select(*text_cols).with_row_index("_row").join(want.lazy(), on="_row", how="semi").collect()
        return dedup_question(want.join(got, on="_row", how="left", maintain_order="left"))

    def read_texts(rows: np.ndarray) -> pl.Series:  # the same, normalized
        return normalize_series(read_originals(rows))

    answer_cols = [c for c in ("answer", "choices") if c in scan.collect_schema().names()]

    def read_answers(rows: np.ndarray) -> pl.Series:  # their reference answers (answer-confirmed tier)
        want = pl.DataFrame({"_row": pl.Series(rows.astype(np.uint32))})
        got = scan.select(*answer_cols).with_row_index("_row").join(want.lazy(), on="_row", how="semi").collect()
        return keyed_answers(want.join(got, on="_row", how="left", maintain_order="left"))

    r = cfg.dedup.rows
    sig = _group_signature_columns(signature_files, first_band * r, (first_band + band_count) * r)
    linked = band_group_edges(
        np.concatenate([np.zeros(0, np.uint64), *hashes]), np.concatenate([np.zeros(0, np.uint64), *numkeys]), sig, read_texts,
        settings=cfg.dedup, first_band=first_band, band_count=band_count, read_originals=read_originals,
        read_answers=read_answers if "answer" in answer_cols else None,
    )
    out = Path(out_file)
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, pairs=linked.pairs.astype(np.int64).reshape(-1, 2), similarities=linked.similarities.astype(np.float64),
                 by_answer=linked.by_answer.astype(bool))
    return {
        "file": str(out),
        "edges": int(len(linked.pairs)),
        "checked": int(linked.checked),
        "products": {str(out): file_digest(out)},
    }


def load_edges(edge_files: list[str | Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All band groups' edges, each pair once: the `near_edges` input of the dedup stage (pairs,
    similarities, linked by the answer-confirmed tier)."""
    pairs, sims, by_answer = [np.zeros((0, 2), dtype=np.int64)], [np.zeros(0)], [np.zeros(0, dtype=bool)]
    for f in edge_files:
        with np.load(f) as z:
            pairs.append(z["pairs"])
            sims.append(z["similarities"])
            by_answer.append(z["by_answer"] if "by_answer" in z.files else np.zeros(len(z["pairs"]), dtype=bool))
    p, s, a = np.concatenate(pairs), np.concatenate(sims), np.concatenate(by_answer)
    if len(p):
        p = np.sort(p, axis=1)
        p, first = np.unique(p, axis=0, return_index=True)
        s, a = s[first], a[first]
    return p, s, a


# --- puzzle generation ----------------------------------------------------------------------------


def seed_chunks(generator: str, *, count: int, level: int, seed: int, size: int) -> list[list[int]]:
    """The seeds `generate_records(generator, count=count, level=level, seed=seed)` uses (item i:
    seed + i), in chunks of `size`; validates the request like `generate_records` does."""
    from generators.registry import get_generator_class

    get_generator_class(generator).level_config(level)
    if count < 0 or seed < 0:
        from curation.errors import GeneratorConfigError

        raise GeneratorConfigError(f"{generator}: count and seed must be non-negative")
    return [list(range(seed + a, seed + min(count, a + size))) for a in range(0, count, size)]


def generate_chunk_file(generator: str, level: int, seeds: list[int], out_file: Path) -> Path:
    """Generate one chunk of puzzles and write the records, as generated, to a Parquet file."""
    from generators import generate_chunk

    records = generate_chunk(generator, level=level, seeds=seeds)
    with atomic_path(out_file) as tmp:
        pl.DataFrame(records, infer_schema_length=None).write_parquet(tmp)
    return out_file


def read_chunk_records(files: list[str | Path]) -> list[dict]:
    """The records of chunk files, in order (what `generate_records` returns for those seeds)."""
    if not files:
        return []
    return pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed").to_dicts()
