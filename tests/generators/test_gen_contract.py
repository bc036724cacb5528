"""The generator contract, checked for every registered puzzle family (and a toy family registered
here: a new family is one module plus one `register_generator` call)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl
import pytest

from curation.config import config_from_dict
from curation.errors import ConfigError, GeneratorConfigError
from curation.io import read_problems, write_problems
from curation.pipeline import Workspace, step_generate
from generators.base import PuzzleGenerator, VerifyResult, build_record, record_metadata
from generators.registry import REGISTRY, generate_records, register_generator, unregister_generator, verify_record
from schemas import Problem, polars_schema


def check_generator_contract(cls: type[PuzzleGenerator], tmp_path) -> None:
    name = cls.name
    assert REGISTRY[name] is cls
    for level in sorted(cls.levels):
        gen = cls(cls.level_config(level))
        rec = gen.generate(3)
        Problem.model_validate(rec)
        assert gen.generate(3) == rec, "same seed, same item"
        assert rec["kind"] == "puzzle" and rec["source"] == f"generator:{name}" and rec["level"] == level
        assert record_metadata(rec)["generator"] == name
        assert verify_record(rec, rec["answer"]).ok
        assert not verify_record(rec, rec["answer"] + "x").ok
    with pytest.raises(GeneratorConfigError):
        cls.level_config(max(cls.levels) + 1)
    # a curate Parquet file keeps them puzzles; the verifier works from the stored record alone
    low = min(cls.levels)
    path = write_problems(pl.DataFrame(generate_records(name, count=2, level=low, seed=0), schema=polars_schema()),
                          tmp_path / f"{name}.parquet")
    back = read_problems(path)
    assert back["kind"].to_list() == ["puzzle", "puzzle"]
    assert all(verify_record(r, r["answer"]).ok for r in back.to_dicts())
    # the config accepts the name and the pipeline's generate stage makes the puzzles
    cfg = config_from_dict({"generate": {"enabled": True, "puzzles": [{"generator": name, "count": 2, "level": low}]}},
                           base_dir=tmp_path)
    made, _ = step_generate(Workspace(cfg), pl.DataFrame(schema=polars_schema()))
    assert made["id"].to_list() == back["id"].to_list()


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_registered_generator_meets_the_contract(name, tmp_path):
    check_generator_contract(REGISTRY[name], tmp_path)


@dataclass(frozen=True)
class ParityConfig:
    digits: int
    level: int


class ParityGenerator(PuzzleGenerator):
    """A toy family: is the sum of these digits even?"""

    name = "parity"
    config_cls = ParityConfig
    levels = {1: {"digits": 3}, 2: {"digits": 6}}

    def generate(self, seed: int) -> dict:
        import random

        digits = [random.Random(seed).randint(0, 9) for _ in range(self.config.digits)]
        answer = "even" if sum(digits) % 2 == 0 else "odd"
        return build_record(
            generator=self.name, readable_id=f"parity-L{self.config.level}-s{seed}",
            question=f"Is the sum of the digits {' '.join(map(str, digits))} even or odd?", answer=answer,
            level=self.config.level, metadata={"generator": self.name, "seed": seed, "digits": digits},
        )

    @staticmethod
    def verify(record: dict, answer: str) -> VerifyResult:
        want = "even" if sum(record_metadata(record)["digits"]) % 2 == 0 else "odd"
        return VerifyResult(answer.strip() == want, f"expected {want}")


def test_a_new_family_is_one_class_and_one_registration(tmp_path):
    with pytest.raises(ConfigError, match="unknown generator 'parity'"):
        config_from_dict({"generate": {"puzzles": [{"generator": "parity"}]}})
    register_generator(ParityGenerator)
    try:
        check_generator_contract(ParityGenerator, tmp_path)
        with pytest.raises(GeneratorConfigError, match="already registered"):
            register_generator(type("ParityGenerator", (ParityGenerator,), {}))
    finally:
        unregister_generator("parity")
    assert "parity" not in REGISTRY
    with pytest.raises(GeneratorConfigError, match="not a PuzzleGenerator"):
        register_generator(json.JSONDecoder)
