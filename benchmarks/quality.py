"""Judgment quality on real, labelled rows: precision and recall per drop reason and per ingest decision.

Part 1 (always runs): `benchmarks/quality/clean/labelled.jsonl` holds rows from public sets, each
labelled by reading it for one cleaning rule (fire / must not fire, with a short reason). Every
row goes through `curation.clean.flag_problems`; a rule counts as firing when its name is in
`clean_flags`. Printed per rule: TP FP FN TN, precision, recall, and the precision of an
always-fire baseline measured in the same run (the share of positives), so the ratio shows what
the rule adds over "drop everything".

Part 2 (only when ../shared/corpora/real is present, i.e. next to the repository; skipped with a
note otherwise): ingest decisions on whole raw files with their default config mapping, against
keys their authors publish (GSM8K `#### N`, TAL-SCQ5K `answer_value`).

Run: PYTHONPATH=. python benchmarks/quality.py [--show-errors RULE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent
LABELLED = ROOT / "quality" / "clean" / "labelled.jsonl"
# ../shared/corpora next to the repository (a worktree one level deeper also finds it); CURATE_CORPORA overrides
_CANDIDATES = [ROOT.parent.parent / "shared" / "corpora", ROOT.parent.parent.parent / "shared" / "corpora"]
CORPORA = Path(os.environ["CURATE_CORPORA"]) if os.environ.get("CURATE_CORPORA") else next((c for c in _CANDIDATES if c.exists()), _CANDIDATES[0])


def load_labelled(path: Path = LABELLED) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def flag_items(items: list[dict], settings=None) -> list[list[str]]:
    from curation.clean import flag_problems
    from curation.config import CleanSettings
    from schemas import conform

    frame = conform(
        pl.DataFrame(
            [
                {"id": str(i), "source": it["source_file"], "question": it["question"], "answer": it["answer"], "choices": it["choices"],
                 "image": it.get("image")}
                for i, it in enumerate(items)
            ],
            schema_overrides={"choices": pl.List(pl.Utf8)},
            strict=False,
        )
    )
    return [list(f) for f in flag_problems(frame, settings=settings or CleanSettings())["clean_flags"].to_list()]


def rule_table(items: list[dict], flags: list[list[str]], *, part: str | None = None) -> list[dict]:
    """Counts per rule; `part` = "dev" (rows looked at while revising the rules), "holdout"
    (labelled afterwards, never used to revise them) or "holdout2" (a second multi_part holdout,
    labelled before the restated-ask change was run on it) or "probe" (rows the multi_part
    prefilter does not match, with two ask sentences: what the rule cannot see); None = all rows."""
    if part is not None:
        kept = [(it, fl) for it, fl in zip(items, flags) if it.get("set", "dev") == part]
        items, flags = [k[0] for k in kept], [k[1] for k in kept]
    out = []
    for rule in sorted({it["rule"] for it in items}):
        tp = fp = fn = tn = 0
        for it, fl in zip(items, flags):
            if it["rule"] != rule:
                continue
            fired = rule in fl
            if it["label"]:
                tp, fn = tp + fired, fn + (not fired)
            else:
                fp, tn = fp + fired, tn + (not fired)
        n_pos, n = tp + fn, tp + fp + fn + tn
        out.append(
            {
                "rule": rule, "n": n, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
                "precision": tp / (tp + fp) if tp + fp else None,
                "recall": tp / n_pos if n_pos else None,
                "baseline_precision": n_pos / n if n else None,
            }
        )
    return out


def _pct(x):
    return "  n/a" if x is None else f"{100 * x:5.1f}%"


def print_rules(table: list[dict], title: str) -> None:
    print(f"\ndrop reasons, {title}")
    print(f"{'rule':<15}{'n':>5}{'TP':>5}{'FP':>5}{'FN':>5}{'TN':>5}{'precision':>11}{'recall':>9}{'always-fire':>13}{'ratio':>7}")
    for r in table:
        ratio = (r["precision"] / r["baseline_precision"]) if r["precision"] and r["baseline_precision"] else None
        print(
            f"{r['rule']:<15}{r['n']:>5}{r['tp']:>5}{r['fp']:>5}{r['fn']:>5}{r['tn']:>5}"
            f"{_pct(r['precision']):>11}{_pct(r['recall']):>9}{_pct(r['baseline_precision']):>13}"
            f"{'' if ratio is None else f'{ratio:6.2f}x':>7}"
        )


def ingest_decisions() -> None:
    real = CORPORA / "real"
    if not real.exists():
        print(f"\ningest decisions: skipped ({real} not found; it is not part of the repository)")
        return
    from curation.config import SourceConfig
    from curation.ingest import ingest_source

    print("\ningest decisions on raw files (default recognition, no mapping)")
    gsm = real / "gsm8k_train.jsonl"
    if gsm.exists():
        keys = [json.loads(l)["answer"].rsplit("####", 1)[-1].strip().replace(",", "") for l in gsm.read_text().splitlines() if l.strip()]
        res = ingest_source(SourceConfig(name="gsm8k", path=str(gsm)))
        got = res.problems["answer"].to_list()
        types = res.problems["answer_type"].to_list()
        ok = sum(a == k for a, k in zip(got, keys))
        ints = sum(t == "integer" for t in types)
        sol = res.problems["solution"].fill_null("")
        calc = int(sol.str.contains("<<", literal=True).sum())
        print(f"  GSM8K answer = the author's '#### N' key: {ok}/{len(keys)}; integer answers {ints}/{len(keys)}; "
              f"solutions still holding <<calc>> annotations: {calc}")
        from curation.alarms import sanity_alarms
        from curation.clean import flag_problems
        from curation.config import FieldMapping

        as_is = ingest_source(SourceConfig(name="gsm8k", path=str(gsm), mapping=FieldMapping(answer_extraction="none")))
        kinds = sorted({a.kind for a in sanity_alarms(flag_problems(as_is.problems))})
        print(f"  GSM8K read as is (answer_extraction = 'none'): alarms {kinds or 'none'}; with default recognition: "
              f"{sorted({a.kind for a in sanity_alarms(flag_problems(res.problems))}) or 'none'}")
    from curation.clean import flag_problems as _flag

    pn = real / "proofnet_test.jsonl"
    if pn.exists():
        flagged = _flag(ingest_source(SourceConfig(name="proofnet", path=str(pn))).problems)  # `nl_statement` recognised by default
        n_proof = sum("proof" in f for f in flagged["clean_flags"].to_list())
        print(f"  ProofNet statements (no mapping) flagged proof: {n_proof}/{flagged.height} (all are dropped: {flagged['drop_reason'].is_not_null().sum()})")
    tq = real / "theoremqa_test.json"
    if tq.exists():
        flagged = _flag(ingest_source(SourceConfig(name="theoremqa", path=str(tq))).problems)
        boolean = flagged.filter(flagged["answer"].str.to_lowercase().is_in(["true", "false", "yes", "no"]))
        n_yes = sum("yes_no" in f for f in boolean["clean_flags"].to_list())
        with_image = flagged.filter(flagged["image"].is_not_null())
        n_fig = sum("figure" in f for f in with_image["clean_flags"].to_list())
        print(f"  TheoremQA true/false answers flagged yes_no: {n_yes}/{boolean.height}; rows with a Picture flagged figure: {n_fig}/{with_image.height}")
    for name in ("agieval-gaokao-physics.jsonl", "agieval-gaokao-chemistry.jsonl"):
        path = real / name
        if path.exists():
            keys = [json.loads(l).get("label") for l in path.read_text().splitlines() if l.strip()]
            got = ingest_source(SourceConfig(name=path.stem, path=str(path))).problems
            print(f"  {name}: answer key (in `label`, `answer` null) found for {got['answer'].is_not_null().sum()}/{len(keys)}; "
                  f"read as a choice letter: {(got['answer_type'] == 'choice').sum()}")
    tal = real / "tal_scq_en_train3k.jsonl"
    if tal.exists():
        key = [json.loads(l).get("answer_value") for l in tal.read_text().splitlines() if l.strip()]
        res = ingest_source(SourceConfig(name="tal", path=str(tal)))
        ans = res.problems["answer"].to_list()
        found = sum(a is not None for a in ans)
        match = sum(a == k for a, k in zip(ans, key))
        ch = int((res.problems["choices"].list.len().fill_null(0) > 0).sum())
        print(f"  TAL-SCQ5K answer key found: {found}/{len(key)} (equal to answer_value: {match}); options parsed: {ch}/{len(key)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--show-errors", help="print the misjudged rows of this rule")
    args = ap.parse_args(argv)
    items = load_labelled()
    flags = flag_items(items)
    print("labelled real rows: benchmarks/quality/clean/labelled.jsonl")
    print_rules(rule_table(items, flags), "all labelled rows")
    print_rules(rule_table(items, flags, part="dev"), "dev rows (read while the rules were revised)")
    print_rules(rule_table(items, flags, part="holdout"), "holdout rows (labelled after the rules were fixed)")
    print_rules(rule_table(items, flags, part="holdout2"),
                "holdout2 rows (multi_part, labelled by the restatement change before its output was looked at)")
    print_rules(rule_table(items, flags, part="probe"),
                "probe rows (multi_part recall outside its prefilter: two asks with one '?' or none)")
    from curation.config import CleanSettings

    leak_items = [it for it in items if it["rule"] == "answer_leak"]
    print_rules(rule_table(leak_items, flag_items(leak_items, CleanSettings(answer_leak=True))), "answer_leak switched on (off by default)")
    if args.show_errors:
        for it, fl in zip(items, flags):
            if it["rule"] == args.show_errors and (args.show_errors in fl) != it["label"]:
                kind = "FN" if it["label"] else "FP"
                print(f"\n[{kind}] {it['source_file']}:{it['source_row']} ({it['reason']})\n  {it['question'][:400]!r}")
    ingest_decisions()
    return 0


if __name__ == "__main__":
    sys.exit(main())
