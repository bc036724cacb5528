"""`python -m flows.prefect_cli ARGS` = `prefect ARGS`, with the FastAPI compatibility patch applied.

Needed for `server start` while pyproject pins a FastAPI newer than Prefect 3.8.8's server accepts
(see `flows._compat`): `python -m flows.prefect_cli server start`.
"""

from flows._compat import prefect_cli

if __name__ == "__main__":
    prefect_cli()
