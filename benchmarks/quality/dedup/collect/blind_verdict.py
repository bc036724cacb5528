import json, sys
import numpy as np, polars as pl
sys.path.insert(0, str(__import__('pathlib').Path(__file__).parent))
from blind_sources import load
from curation.dedup import mark_duplicates
from curation.config import DedupSettings
from schemas import conform
rows = load()
cols = {"id": [r[0] for r in rows], "source": [r[1] for r in rows], "question": [r[2] or "" for r in rows]}
with_choices = len(sys.argv) > 2  # second argument: pass the options too
if with_choices:
    cols["choices"] = pl.Series([r[3] for r in rows], dtype=pl.List(pl.Utf8))
df = conform(pl.DataFrame(cols))
out = mark_duplicates(df, settings=DedupSettings())
cl = out["cluster_id"].to_list()
json.dump(cl, open(sys.argv[1], "w"))
print(sum(c is not None for c in cl))
