import json, sys
import numpy as np
sys.path.insert(0, str(__import__('pathlib').Path(__file__).parent))
from blind_sources import load
rows = load(); ids=[r[0] for r in rows]
P = np.load('P.npy'); S = np.load('S.npy'); I = np.load('I.npy')
cl = json.load(open('cl_before.json'))
seen=set()
for f in ['near_duplicate_pairs.jsonl','holdout_pairs.jsonl']:
    for l in open('../'+f):
        r=json.loads(l); seen.add(frozenset((r['a_id'], r['b_id'])))
identset = set(map(tuple, I.tolist()))
pop = {}
for (a,b),s in zip(P.tolist(), S.tolist()):
    if (a,b) in identset or frozenset((ids[a],ids[b])) in seen: continue
    merged = cl[a] is not None and cl[a]==cl[b]
    jb = 'j70' if s>=0.7 else ('j50' if s>=0.5 else 'j40')
    pop.setdefault(('merged' if merged else 'apart')+'_'+jb, []).append((a,b,round(s,3)))
for a,b in I.tolist():
    if rows[a][3] is None and rows[b][3] is None: continue
    if frozenset((ids[a],ids[b])) in seen: continue
    pop.setdefault('mcq_same_stem', []).append((a,b,1.0))
for k,v in sorted(pop.items()): print(k, len(v))
json.dump({k: v for k,v in pop.items()}, open('pop.json','w'))
