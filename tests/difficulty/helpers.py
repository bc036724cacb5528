from __future__ import annotations

import polars as pl


from curation.config import DifficultySettings, ModelSettings


def make_settings(base_url: str | None, **kw) -> DifficultySettings:
    model_kw = {
        "base_url": base_url,
        "model": kw.pop("model", "test-model"),
        # generous: on a loaded CI machine a 2 s timeout turned healthy requests into retries (flaky
        # counts); tests about timeouts set their own
        "request_timeout": kw.pop("request_timeout", 30.0),
        "max_retries": kw.pop("max_retries", 4),
        "backoff_base": kw.pop("backoff_base", 0.01),
        "backoff_max": kw.pop("backoff_max", 0.05),
        "concurrency": kw.pop("concurrency", 8),
        "api_key_env": kw.pop("api_key_env", None),
    }
    return DifficultySettings(model=ModelSettings(**model_kw), **kw)


def frame(rows: list[dict]) -> pl.DataFrame:
    """A minimal problem table: id, source, question, answer (+ optional drop_reason etc.)."""
    from schemas.problem import conform

    full = []
    for i, r in enumerate(rows):
        full.append({"id": r.get("id", f"id{i}"), "source": "test", **r})
    return conform(pl.DataFrame(full, infer_schema_length=None))


