"""The shared model service: one way to sample an OpenAI-compatible model, used by every stage that asks one.

Used alike by the difficulty stage (`curation.difficulty`) and MCQ model mode (`curation.mcq.model`).

Submodules: `client` (async sampling with observable retries: `SamplingClient`, `SamplingParams`),
`store` (the response store: every sample persisted, so runs resume and reruns are free),
`embedded` (in-process llama.cpp server with SmolLM2-135M for a fresh machine with no endpoint).
Importing this package imports none of openai, sqlalchemy or xllamacpp.
"""
