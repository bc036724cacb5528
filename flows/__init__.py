"""Prefect flows over `curation/` and `generators/` (the only package that imports Prefect).

- `flows.pipeline`: `curation_pipeline` (all stages from one config) and `run_with_prefect`.
- `flows.stages`: one flow per stage; `submit_stage` runs a stage's tasks inside any flow.
- `flows.tasks`: the thin tasks (file paths, digests and row ranges in; file paths out).
- `flows.runners`: thread / process / Dask task runners.
- `flows.report`: run-report artifacts (the report itself: `curation.run_report`).
- `flows.deployments`: scheduled deployments (`curate serve`, `prefect.yaml`).

Importing this package sets Prefect's analytics off (unless already configured).
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
