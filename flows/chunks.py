"""The chunked pieces of dedup and puzzle generation (no Prefect here: plain functions the tasks call).

Dedup: `compute_signature_chunk` computes the MinHash signatures of a row range of the input and
saves them as `.npy`; the band/cluster task then runs the stage itself (`run_stage`) inside
`precomputed_signatures`, which hands those signatures to `mark_duplicates` (banding, candidate
pairs, exact Jaccard and clustering need every row, so that part is one task). The signatures are
the very ones `mark_duplicates` would compute itself (same texts, same parameters): same output.

Generation: `seed_chunks` splits a request's seeds the way `generators.generate_records` assigns
them (item i: seed + i); `generate_chunk_file` writes one chunk's records as Parquet; the merge task
runs the stage itself (`run_stage`) inside `pregenerated`, which makes `generate_records` return
those records, so `curation.pipeline.step_generate` stays the one definition of the stage.
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from curation.io import atomic_path
from schemas import conform

# --- dedup ----------------------------------------------------------------------------------------


def _dedup_module():
    try:
        import curation.dedup as dedup
    except ImportError:
        return None
    return dedup


def dedup_chunkable() -> bool:
    """True when `curation.dedup.mark_duplicates` can take precomputed signatures (and says of which text)."""
    dedup = _dedup_module()
    if dedup is None or not hasattr(dedup, "mark_duplicates") or not hasattr(dedup, "signature_texts"):
        return False
    return "signatures" in inspect.signature(dedup.mark_duplicates).parameters


def signature_texts(df: pl.DataFrame):
    """The texts dedup signs: `curation.dedup.signature_texts` (the normalized question of each row)."""
    from curation.dedup import signature_texts as texts

    return texts(df)


def row_count(path: str | Path) -> int:
    return pl.scan_parquet(path).select(pl.len()).collect().item()


def _save_npy(array: np.ndarray, path: Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, array)


def compute_signature_chunk(cfg, input_file: str, start: int, stop: int, out_file: str) -> dict[str, Any]:
    """Signatures of rows [start, stop) of `input_file` saved to `out_file` (uint32, (rows, num_perm))."""
    from curation.dedup.minhash import minhash_signatures
    from flows.fingerprint import file_digest

    df = conform(pl.read_parquet(input_file, columns=["question"]).slice(start, stop - start))
    texts = signature_texts(df)
    sig = minhash_signatures(
        texts, num_perm=cfg.dedup.num_perm, seed=cfg.dedup.seed, shingle_size=cfg.dedup.shingle_size
    )
    out = Path(out_file)
    _save_npy(sig, out)
    return {"file": str(out), "rows": stop - start, "products": {str(out): file_digest(out)}}


@contextmanager
def precomputed_signatures(input_file: str | Path, signature_files: list[Path]):
    """Within the block, `curation.dedup.mark_duplicates` uses the chunk signatures of `input_file`.

    The stage step (`curation.pipeline.step_dedup`) stays the single definition of the dedup stage
    (it may run dedup on a subset of rows, e.g. non-puzzles): whatever frame it passes, each row's
    signature is looked up by its text (a signature is a function of the text alone), so the result
    is exactly what `mark_duplicates` would compute itself. Rows whose text is not found (none, in
    practice) make it compute the signatures itself.
    """
    import curation.dedup as dedup

    sig_all = np.concatenate([np.load(p) for p in signature_files]) if signature_files else None
    texts = signature_texts(conform(pl.read_parquet(input_file, columns=["question"])))
    lookup = pl.DataFrame({"t": texts, "i": np.arange(len(texts), dtype=np.int64)}).unique("t", keep="first")
    real = dedup.mark_duplicates

    def mark_duplicates(df, *args, signatures=None, **kwargs):
        if signatures is None and sig_all is not None and df.height:
            rows = (
                pl.DataFrame({"t": signature_texts(df)})
                .with_row_index("p")
                .join(lookup, on="t", how="left")
                .sort("p")
                .get_column("i")
            )
            if rows.null_count() == 0 and sig_all.shape[0] == len(texts):
                signatures = sig_all[rows.to_numpy()]
        return real(df, *args, signatures=signatures, **kwargs)

    dedup.mark_duplicates = mark_duplicates
    try:
        yield
    finally:
        dedup.mark_duplicates = real


# --- puzzle generation ----------------------------------------------------------------------------


def generate_chunkable() -> bool:
    """True when `generators` can generate an explicit list of seeds (`generate_chunk`)."""
    try:
        import generators
    except ImportError:
        return False
    return hasattr(generators, "generate_chunk")


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


@contextmanager
def pregenerated(requests: list[dict[str, Any]]):
    """Within the block, `generators.generate_records` returns the chunk files' records for the
    requests generated by the chunk tasks (`{"generator", "count", "level", "seed", "files"}`), so
    the stage step (`curation.pipeline.step_generate`) stays the single definition of the stage.
    Any other call generates as usual."""
    import generators

    real = generators.generate_records
    table = {(r["generator"], r["count"], r["level"], r["seed"]): r["files"] for r in requests}

    def generate_records(name, *, count, level, seed=0, **kwargs):
        files = table.get((name, count, level, seed))
        if files is None:
            return real(name, count=count, level=level, seed=seed, **kwargs)
        return read_chunk_records(files)

    generators.generate_records = generate_records
    try:
        yield
    finally:
        generators.generate_records = real
