import json, sys, random
sys.path.insert(0, str(__import__('pathlib').Path(__file__).parent))
from blind_sources import load
rows = load()
pop = json.load(open('pop.json'))
rng = random.Random(2026)
plan = {'merged_j70': None, 'merged_j50': None, 'merged_j40': None, 'apart_j70': 40, 'apart_j50': 30, 'apart_j40': 30, 'mcq_same_stem': 20}
out = []
for k, m in plan.items():
    v = pop.get(k, [])
    pick = v if m is None or m >= len(v) else rng.sample(v, m)
    for a, b, s in pick:
        out.append(dict(stratum=k, population=len(v), a=a, b=b, jaccard=s))
json.dump(out, open('sample.json', 'w'))
with open('sample.txt', 'w') as f:
    for n, r in enumerate(out):
        A, B = rows[r['a']], rows[r['b']]
        f.write(f"=== #{n} [{r['stratum']}] J={r['jaccard']} {A[0]} | {B[0]}\n")
        f.write(f"A: {A[2]}\n")
        if A[3]: f.write(f"   OPTS: {A[3]}\n")
        f.write(f"B: {B[2]}\n")
        if B[3]: f.write(f"   OPTS: {B[3]}\n")
print(len(out))
