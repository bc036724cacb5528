"""The chunked pieces of dedup and puzzle generation (no Prefect here: plain functions the tasks call).

Dedup: `compute_signature_chunk` computes the MinHash signatures of a row range of the input and
saves them as `.npy`; `dedup_with_signatures` stacks the chunks in row order and runs the library's
`mark_duplicates` with them (banding, candidate pairs, exact Jaccard and clustering need every row,
so that part is one task). The signatures are the very ones `mark_duplicates` would compute itself
(same texts, same `minhash_signatures` parameters), so the output is identical.

Generation: `seed_chunks` splits a request's seeds the way `generators.generate_records` assigns
them; `generate_chunk_file` writes one chunk's records as Parquet; `merge_generated` appends them to
the ingested table exactly as `curation.pipeline.step_generate` does.
"""

from __future__ import annotations

import inspect
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from curation.io import read_problems, write_problems
from schemas import conform

# --- dedup ----------------------------------------------------------------------------------------


def _dedup_module():
    try:
        import curation.dedup as dedup
    except ImportError:
        return None
    return dedup


def dedup_chunkable() -> bool:
    """True when `curation.dedup.mark_duplicates` can take precomputed signatures."""
    dedup = _dedup_module()
    if dedup is None or not hasattr(dedup, "mark_duplicates"):
        return False
    return "signatures" in inspect.signature(dedup.mark_duplicates).parameters


def signature_texts(df: pl.DataFrame) -> list[str]:
    """The texts dedup signs: the dedup-normalized question of every row (empty text = no shingles)."""
    import curation.dedup as dedup

    if hasattr(dedup, "signature_texts"):
        return dedup.signature_texts(df)
    return df.select(dedup.normalized_question_expr().alias("t")).get_column("t").to_list()


def row_count(path: str | Path) -> int:
    return pl.scan_parquet(path).select(pl.len()).collect().item()


def _save_npy(array: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with open(tmp, "wb") as fh:
            np.save(fh, array)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def compute_signature_chunk(cfg, input_file: str, start: int, stop: int, out_file: str) -> dict[str, Any]:
    """Signatures of rows [start, stop) of `input_file` saved to `out_file` (uint32, (rows, num_perm))."""
    from curation.minhash import minhash_signatures
    from flows.fingerprint import file_digest

    df = conform(pl.read_parquet(input_file, columns=["question"]).slice(start, stop - start))
    texts = signature_texts(df)
    sig = minhash_signatures(
        texts, num_perm=cfg.dedup.num_perm, seed=cfg.dedup.seed, shingle_size=cfg.dedup.shingle_size
    )
    out = Path(out_file)
    _save_npy(sig, out)
    return {"file": str(out), "rows": stop - start, "products": {str(out): file_digest(out)}}


def dedup_with_signatures(ws, input_file: Path, signature_files: list[Path]):
    """The dedup stage with precomputed signatures; mirrors `curation.pipeline.run_stage`."""
    from curation.dedup import mark_duplicates

    signatures = np.concatenate([np.load(p) for p in signature_files]) if signature_files else None

    def step(ws_, df):
        priority = {(s.name or Path(s.path).stem): s.priority for s in ws_.cfg.sources}
        out = mark_duplicates(
            df, settings=ws_.cfg.dedup, source_priority=priority, index_dir=ws_.dedup_index, signatures=signatures
        )
        return out, None

    return run_stage_with(ws, "dedup", input_file, step)


def run_stage_with(ws, stage: str, input_file: Path, step):
    """`curation.pipeline.run_stage` with a given step function (same conform, file and counts)."""
    from curation.pipeline import StageCount, _added, _reason_counts

    started = time.perf_counter()
    df_in = read_problems(input_file)
    df, note = step(ws, df_in)
    df = conform(df)
    out_file = write_problems(df, ws.stage_file(stage))
    count = StageCount(
        stage=stage,
        rows=df.height,
        dropped=_added(_reason_counts(df_in, "drop_reason"), _reason_counts(df, "drop_reason")),
        review=_added(_reason_counts(df_in, "review_reason"), _reason_counts(df, "review_reason")),
        seconds=time.perf_counter() - started,
        skipped=False,
        note=note,
    )
    return out_file, count


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
    """Generate one chunk of puzzles and write them (conformed) to `out_file`."""
    from generators import generate_chunk

    records = generate_chunk(generator, level=level, seeds=seeds)
    return write_problems(conform(pl.DataFrame(records, infer_schema_length=None)), out_file)


def merge_generated(ws, input_file: Path, chunk_files: list[Path]):
    """Append the generated chunks to the ingested table (as `step_generate` does)."""

    def step(ws_, df):
        frames = [df] + [read_problems(p) for p in chunk_files]
        made = sum(f.height for f in frames[1:])
        return pl.concat(frames, how="diagonal_relaxed"), f"{made} puzzles generated"

    return run_stage_with(ws, "generate", input_file, step)
