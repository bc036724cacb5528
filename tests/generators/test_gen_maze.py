"""Maze generator: determinism, level targets, verifier (walls, bounds, length), configs."""

from __future__ import annotations

import json

import pytest

from generators.base import build_record
from generators.maze import MazeConfig, MazeGenerator, parse_moves


def meta(rec):
    return json.loads(rec["metadata"])


def bfs(cells, rows, cols, start):
    """Independent checker: distances from `start` over the open sides (U=1 D=2 L=4 R=8), -1 unreachable."""
    dist = [-1] * (rows * cols)
    dist[start] = 0
    queue = [start]
    for i in queue:
        r, c = divmod(i, cols)
        for bit, (dr, dc) in ((1, (-1, 0)), (2, (1, 0)), (4, (0, -1)), (8, (0, 1))):
            if cells[i] & bit:
                j = (r + dr) * cols + c + dc
                if dist[j] < 0:
                    dist[j] = dist[i] + 1
                    queue.append(j)
    return dist


def test_same_seed_same_maze():
    gen = MazeGenerator.from_level(3)
    assert gen.generate(5) == gen.generate(5)
    assert gen.generate(5)["id"] != gen.generate(6)["id"]
    assert gen.generate(5)["source_id"] == "maze-12x12-L3-s5"


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_levels_meet_targets_and_render_small(level):
    gen = MazeGenerator.from_level(level)
    cfg = gen.config
    for seed in range(5):
        rec = gen.generate(seed)
        m = meta(rec)
        vec = m["difficulty"]
        assert vec["path_length"] >= cfg.min_path
        if cfg.max_path:
            assert vec["path_length"] <= cfg.max_path
        assert vec["decisions"] >= cfg.min_decisions
        assert vec["tortuosity"] >= cfg.min_tortuosity
        assert m["optimal_length"] == len(rec["answer"]) == vec["path_length"]
        drawing = rec["question"].split("\n\n")[1]
        assert len(drawing) < 2000
        assert drawing.count("S") == 1 and drawing.count("G") == 1
        assert set(drawing) <= set("#.SG\n")
        assert MazeGenerator.verify(rec, rec["answer"]).ok
    if level == 5:
        assert cfg.rows == cfg.cols == 20 and cfg.min_path >= 80 and cfg.min_decisions >= 10


def test_perfect_maze_is_a_spanning_tree():
    for alg in ("backtracker", "prim", "wilson"):
        gen = MazeGenerator(MazeConfig(rows=9, cols=7, algorithm=alg))
        m = meta(gen.generate(1))
        cells = [int(c, 16) for c in m["open"]]
        edges = sum(bin(c).count("1") for c in cells) // 2
        assert edges == 9 * 7 - 1
        dist = bfs(cells, 9, 7, 0)
        assert min(dist) >= 0  # connected


def test_braiding_adds_loops():
    perfect = meta(MazeGenerator(MazeConfig(rows=10, cols=10, algorithm="prim")).generate(2))
    braided = meta(MazeGenerator(MazeConfig(rows=10, cols=10, algorithm="prim", braid=1.0)).generate(2))
    edges = lambda m: sum(bin(int(c, 16)).count("1") for c in m["open"]) // 2  # noqa: E731
    assert edges(braided) > edges(perfect) == 99
    assert braided["difficulty"]["dead_end_fraction"] < perfect["difficulty"]["dead_end_fraction"]


@pytest.fixture(scope="module")
def record():
    return MazeGenerator.from_level(4).generate(3)


def _walk(answer, start):
    r, c = start
    for mv in answer:
        r += {"U": -1, "D": 1}.get(mv, 0)
        c += {"L": -1, "R": 1}.get(mv, 0)
    return r, c


def test_verifier_accepts_formats(record):
    ans = record["answer"]
    words = {"U": "up", "D": "down", "L": "left", "R": "right"}
    for v in [ans, f"\\boxed{{{ans}}}", " ".join(ans), ",".join(ans), "-".join(ans), " -> ".join(ans),
              ", ".join(words[m] for m in ans), ans.lower(), f"[{', '.join(ans)}]"]:
        res = MazeGenerator.verify(record, v)
        assert res.ok, (v, res.reason)


def test_verifier_rejects_bad_paths(record):
    m = meta(record)
    ans = record["answer"]
    rows, cols = m["rows"], m["cols"]
    cells = [int(c, 16) for c in m["open"]]
    # a move through a wall: at the start cell, pick a closed side that stays in the grid
    sr, sc = m["start"]
    bit = {"U": 1, "D": 2, "L": 4, "R": 8}
    for mv, (dr, dc) in {"U": (-1, 0), "D": (1, 0), "L": (0, -1), "R": (0, 1)}.items():
        if 0 <= sr + dr < rows and 0 <= sc + dc < cols and not cells[sr * cols + sc] & bit[mv]:
            res = MazeGenerator.verify(record, mv + ans)
            assert not res.ok and res.reason == f"move 1 ({mv}) crosses a wall at ({sr},{sc})"
            break
    else:  # pragma: no cover - the start cell is open on every side
        pytest.skip("start cell has no interior wall")
    # longer than optimal: go one step and back somewhere, still ending on the goal
    first = ans[0]
    back = {"U": "D", "D": "U", "L": "R", "R": "L"}[first]
    res = MazeGenerator.verify(record, first + back + ans)
    assert not res.ok and res.reason == f"path length {len(ans) + 2} > optimal {len(ans)}"
    # stops short of the goal
    res = MazeGenerator.verify(record, ans[:-1])
    assert not res.ok and "not at the goal" in res.reason
    # unknown tokens and empty answers
    assert "unrecognized" in MazeGenerator.verify(record, "R R X").reason
    assert not MazeGenerator.verify(record, "").ok


def test_leaving_the_grid_is_reported():
    rec = MazeGenerator(MazeConfig(rows=3, cols=3, min_path=2)).generate(0)
    m = meta(rec)
    sr, sc = m["start"]
    mv = "U" * (sr + 1)
    res = MazeGenerator.verify(rec, mv)
    assert not res.ok and ("leaves the grid" in res.reason or "crosses a wall" in res.reason)


def test_any_optimal_path_passes():
    # a fully open 2x2 room: RD and DR are both optimal from (0,0) to (1,1)
    meta_ = {"generator": "maze", "rows": 2, "cols": 2, "open": "a695", "start": [0, 0], "goal": [1, 1],
             "optimal_length": 2}
    rec = build_record(generator="maze", readable_id="maze-hand", question="q", answer="RD", level=None, metadata=meta_)
    assert MazeGenerator.verify(rec, "RD").ok
    assert MazeGenerator.verify(rec, "DR").ok
    assert not MazeGenerator.verify(rec, "RDLURD").ok
    assert MazeGenerator.verify(rec, "L").reason == "move 1 (L) leaves the grid at (0,0)"


def test_parse_moves():
    assert parse_moves("\\boxed{U, D, left, RIGHT}")[0] == "UDLR"
    assert parse_moves("north east")[0] == "UR"
    assert parse_moves("go up")[0] is None


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"rows": 1}, "rows"),
        ({"cols": 1000}, "cols"),
        ({"algorithm": "kruskal"}, "algorithm"),
        ({"braid": 1.5}, "braid"),
        ({"min_path": 10, "max_path": 5}, "max_path"),
        ({"min_tortuosity": 0.5}, "tortuosity"),
        ({"min_path": 0}, "min_path"),
    ],
)
def test_bad_configs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MazeConfig(**kwargs)
