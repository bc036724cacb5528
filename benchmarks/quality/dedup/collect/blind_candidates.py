import json, sys, time
import numpy as np, polars as pl
sys.path.insert(0, str(__import__('pathlib').Path(__file__).parent))
from blind_sources import load
from curation.dedup.normalize import normalize_series, shingle_text
from curation.dedup import minhash as mh
rows = load()
ids = [r[0] for r in rows]
q = pl.Series([r[2] or "" for r in rows])
norm = normalize_series(q)
sh = shingle_text(norm)
t0=time.time()
bands, nonempty = mh.band_hashes(sh.to_list(), num_perm=126, seed=7, shingle_size=5, bands=42, rows=3)
print('bands', time.time()-t0)
n = len(rows)
pairs = set()
rng = np.random.default_rng(0)
big = 0
for j in range(bands.shape[1]):
    keys = bands[:, j]
    order = np.argsort(keys, kind='stable')
    k = keys[order]
    starts = np.r_[0, np.flatnonzero(k[1:] != k[:-1]) + 1]
    ends = np.r_[starts[1:], n]
    for s, e in zip(starts, ends):
        if e - s < 2: continue
        m = order[s:e]
        if e - s > 60:
            big += 1
            m = rng.choice(m, 60, replace=False)
        m = np.sort(m)
        for x in range(len(m)):
            for y in range(x+1, len(m)):
                pairs.add((int(m[x]), int(m[y])))
print('cand', len(pairs), 'big buckets', big, time.time()-t0)
P = np.array(sorted(pairs), dtype=np.int64)
sims = mh.jaccard_pairs(sh, P, shingle_size=5)
keep = sims >= 0.4
P, sims = P[keep], sims[keep]
print('J>=0.4', len(P))
np.save('P.npy', P); np.save('S.npy', sims)
# identical normalized stems
df = pl.DataFrame({'i': np.arange(n), 'norm': norm})
g = df.filter(pl.col('norm').str.len_bytes()>0).group_by('norm').agg('i').filter(pl.col('i').list.len()>1)
ident = [(a, b) for l in g['i'].to_list() for x, a in enumerate(l) for b in l[x+1:]]
print('identical-norm pairs', len(ident))
np.save('I.npy', np.array(ident, dtype=np.int64).reshape(-1,2))
