"""The persisted dedup index (incremental mode): parameters, part files, loading and appending."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

import polars as pl

from curation.config import DedupSettings
from curation.dedup import minhash as mh
from curation.dedup.content import number_keys
from curation.dedup.nodes import prepare_nodes
from curation.dedup.normalize import NORMALIZATION_VERSION, shingle_text, stable_hashes, template_expr
from curation.errors import CurateError
from curation.files import atomic_path
from schemas import conform

# 2: `nums` (number-multiset key, curation.dedup.content); 3: `nhash`, `nlen`; 4: `ans` of a multiple-choice
# row is its keyed option's text (`nodes.keyed_answers`), not the letter
INDEX_FORMAT = 4
PARAMS_FILE = "params.json"


class DedupIndexError(CurateError):
    """A dedup index cannot be used: missing, corrupt, or built with different parameters."""


def _params(settings: DedupSettings) -> dict:
    return {
        "index_format": INDEX_FORMAT,
        "normalization": NORMALIZATION_VERSION,
        "hash": "fnv1a-fmix64/affine32",
        "shingle_size": settings.shingle_size,
        "num_perm": settings.num_perm,
        "bands": settings.bands,
        "rows": settings.rows,
        "seed": settings.seed,
    }


def check_settings(settings: DedupSettings) -> None:
    if settings.bands * settings.rows > settings.num_perm:
        raise CurateError(
            f"dedup: bands*rows = {settings.bands * settings.rows} exceeds num_perm = {settings.num_perm}"
        )
    if settings.shingle_size < 1 or settings.num_perm < 1 or settings.bands < 1 or settings.rows < 1:
        raise CurateError("dedup: shingle_size, num_perm, bands and rows must be positive")
    if not 0.0 < settings.threshold <= 1.0:
        raise CurateError(f"dedup: threshold must be in (0, 1], got {settings.threshold}")


def band_cols(bands: int) -> list[str]:
    return [f"b{j}" for j in range(bands)]


# ------------------------------------------------------------------------------------ index I/O
def _read_params(index_dir: Path) -> Optional[dict]:
    p = index_dir / PARAMS_FILE
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DedupIndexError(f"{p}: unreadable dedup index parameters: {exc}") from None


def _require_same_params(index_dir: Path, stored: dict, settings: DedupSettings) -> None:
    want = _params(settings)
    diff = {k: (stored.get(k), v) for k, v in want.items() if stored.get(k) != v}
    if diff:
        detail = ", ".join(f"{k}: index has {a!r}, settings have {b!r}" for k, (a, b) in diff.items())
        # format, normalization and hash come with the code: no setting brings them back
        by_version = bool(diff.keys() & {"index_format", "normalization", "hash"})
        raise DedupIndexError(
            f"{index_dir}: dedup index was built with different parameters ({detail}); "
            + ("an earlier curate version built it: rebuild it from your dataset's kept rows (docs/upgrading.md)"
               if by_version else "rebuild the index or use its parameters")
        )


@dataclass
class LoadedIndex:
    """The persisted index in memory *without* its texts (10M indexed rows would hold GBs of text):
    `frame` has every column but `norm`, plus `nhash` / `nlen` to match and filter texts by;
    `texts(positions)` reads the normalized texts of just those rows from the part files."""

    frame: pl.DataFrame
    parts: list[Path]
    part_rows: list[int]

    @property
    def height(self) -> int:
        return self.frame.height

    def texts(self, positions: np.ndarray) -> pl.Series:
        """Normalized texts of the rows at `positions` (any order, repeats allowed), in that order."""
        positions = np.asarray(positions, dtype=np.int64)
        if not len(positions):
            return pl.Series("norm", [], dtype=pl.Utf8)
        want = np.unique(positions)
        starts = np.cumsum([0] + self.part_rows)
        got: list[pl.Series] = []
        for k, part in enumerate(self.parts):
            local = want[(want >= starts[k]) & (want < starts[k + 1])] - starts[k]
            if len(local):
                rows = (
                    pl.scan_parquet(part).select("norm").with_row_index("_r")
                    .filter(pl.col("_r").is_in(pl.Series(local, dtype=pl.UInt32).implode()))
                    .collect()
                )
                got.append(rows["norm"])
        texts = pl.concat(got) if got else pl.Series("norm", [], dtype=pl.Utf8)
        return texts.gather(np.searchsorted(want, positions))


def load_index(index_dir: Path, settings: DedupSettings) -> Optional[LoadedIndex]:
    """The persisted index (None when `index_dir` has no index), texts left on disk. Refuses other
    parameters or another index format."""
    index_dir = Path(index_dir)
    stored = _read_params(index_dir)
    if stored is None:
        return None
    _require_same_params(index_dir, stored, settings)
    parts = sorted(index_dir.glob("part-*.parquet"))
    if not parts:
        return None
    try:
        frames = [pl.scan_parquet(p).drop("norm").collect() for p in parts]
    except Exception as exc:  # corrupt part file
        raise DedupIndexError(f"{index_dir}: cannot read dedup index: {exc}") from None
    return LoadedIndex(frame=pl.concat(frames, how="vertical"), parts=parts, part_rows=[f.height for f in frames])


def _index_rows(df: pl.DataFrame, settings: DedupSettings) -> pl.DataFrame:
    prep = prepare_nodes(df, None)
    norms = shingle_text(prep["_norm"])
    bands, _ = mh.band_hashes(
        norms, num_perm=settings.num_perm, seed=settings.seed, shingle_size=settings.shingle_size,
        bands=settings.bands, rows=settings.rows,
    )
    tmpl = prep.select(template_expr(pl.col("_norm"))).to_series().to_list()
    out = prep.select(
        "id", "source", pl.col("_norm").alias("norm"), pl.col("_ans").alias("ans"),
        pl.col("_sol").alias("has_solution"), pl.col("_ver").alias("verified"),
    ).with_columns(
        pl.Series("tmpl", stable_hashes(tmpl), dtype=pl.UInt64),
        pl.Series("nums", number_keys(prep["_norm"]), dtype=pl.UInt64),
        pl.Series("nhash", stable_hashes(prep["_norm"].to_list()), dtype=pl.UInt64),
        prep["_norm"].str.len_bytes().alias("nlen"),
    )
    return out.with_columns([pl.Series(c, bands[:, j], dtype=pl.UInt64) for j, c in enumerate(band_cols(settings.bands))])


def update_index(df_kept: pl.DataFrame, index_dir: Path | str, settings: DedupSettings = DedupSettings()) -> int:
    """Append rows (normally the rows kept after dedup) to the persisted index in `index_dir`.

    Creates the index when absent (`params.json` + `part-NNNNN.parquet` files); refuses when it was
    built with other parameters. Rows whose id is already in the index are skipped. Returns the
    number of rows added.
    """
    check_settings(settings)
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    stored = _read_params(index_dir)
    if stored is not None:
        _require_same_params(index_dir, stored, settings)
    else:
        (index_dir / PARAMS_FILE).write_text(json.dumps(_params(settings), indent=2) + "\n", encoding="utf-8")
    df = conform(df_kept)
    if df.height == 0:
        return 0
    parts = sorted(index_dir.glob("part-*.parquet"))
    if parts:  # only the ids: the index may hold millions of rows
        try:
            ids = pl.concat([pl.read_parquet(p, columns=["id"]) for p in parts])
        except Exception as exc:
            raise DedupIndexError(f"{index_dir}: cannot read dedup index: {exc}") from None
        df = df.join(ids, on="id", how="anti")
    if df.height == 0:
        return 0
    rows = _index_rows(df, settings)
    n_parts = len(parts)
    path = index_dir / f"part-{n_parts:05d}.parquet"
    with atomic_path(path) as tmp:
        rows.write_parquet(tmp, compression="zstd")
    return rows.height

