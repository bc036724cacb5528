"""`curate verify`: judge one answer, or a JSONL file of (reference, answer) pairs.

The verifier (and sympy/mpmath behind it) is imported inside the command body so `curate --help`
stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from curation.errors import CurateError


class VerifyInputError(CurateError):
    """`curate verify` was given unusable arguments or an unreadable pairs file."""


#: exit status of `curate verify REFERENCE ANSWER` by outcome (2 stays for usage errors)
EXIT_CODES = {"equivalent": 0, "different": 1, "unparseable": 3}


def _looks_like_response(text: str) -> bool:
    """Whole model responses get extraction; short final answers are judged as given."""
    return len(text) > 200 or "\n" in text or "</think>" in text or "\\boxed" in text or "\\fbox" in text


def read_reference(reference: str) -> str:
    """A reference that holds a worked solution is read as its boxed answer (several boxes joined by
    connectives give "1, 2") or its explicit final-answer statement; any other reference is used as given."""
    from curation.verifier import extract_answer

    if "\\boxed" in reference or "\\fbox" in reference or _looks_like_response(reference):
        ex = extract_answer(reference)
        if ex.rule in ("boxed", "final_answer_phrase", "answer_colon"):
            return ex.joined or ex.text
    return reference


def judge_auto(verifier, reference: str, answer: str, mode: str):
    """mode "auto": extract only when the answer looks like a whole response (or an answer phrase
    is found); "response": always extract; "answer": judge as given (rule "as_given")."""
    from curation.verifier import Judgment

    if _wants_extraction(answer, mode):
        return verifier.judge_response(reference, answer)
    j = verifier.judge(reference, answer)
    return Judgment(j.outcome, j.reason, answer, "as_given")


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""

    @app.command("verify")
    def verify(
        reference: Optional[str] = typer.Argument(
            None, help="Reference answer (LaTeX or plain), e.g. '\\frac{1}{2}'. Omit when using --pairs."
        ),
        answer: Optional[str] = typer.Argument(
            None, help="Answer to judge: a final answer or a whole model response (the answer is extracted)."
        ),
        pairs: Optional[Path] = typer.Option(
            None, "--pairs", help="JSONL input: one object per line with string fields 'reference' and 'answer'."
        ),
        out: Optional[Path] = typer.Option(
            None, "--out", help="JSONL output for --pairs: each input line with 'outcome', 'extracted', 'rule', 'reason' added."
        ),
        mode: str = typer.Option(
            "auto", "--mode", help="How to read answers: 'auto' (extract from responses, judge short answers as given), "
            "'response' (always extract), or 'answer' (never extract).",
        ),
        timeout: float = typer.Option(1.0, "--timeout", help="Time bound per judgment in seconds (cooperative; any thread)."),
        processes: int = typer.Option(0, "--processes", help="Worker processes for --pairs (0 = judge in this process)."),
        as_json: bool = typer.Option(False, "--json", help="For a single pair: print the judgment as one JSON object."),
        question: Optional[str] = typer.Option(None, "--question", help="The question (shown to the model judge)."),
        judge_model: Optional[str] = typer.Option(
            None, "--judge-model", help="Ask this model (OpenAI-compatible endpoint) about pairs the rules leave "
            "unparseable. Off by default.",
        ),
        judge_base_url: Optional[str] = typer.Option(None, "--judge-base-url", help="Endpoint of the judge model (required with --judge-model)."),
        judge_api_key_env: Optional[str] = typer.Option(None, "--judge-api-key-env", help="Name of the environment variable holding the judge's API key."),
        judge_reasoning: bool = typer.Option(False, "--judge-reasoning", help="The judge explains before its verdict."),
        judge_text_answers: bool = typer.Option(False, "--judge-text-answers", help="Also ask about free-text answers the rules call different."),
        judge_store: Optional[str] = typer.Option(None, "--judge-store", help="SQLAlchemy URL (or SQLite path) caching the judge's replies."),
    ) -> None:
        """Judge whether an answer is mathematically equivalent to a reference answer.

        Prints the outcome (equivalent / different / unparseable), the reason, the extracted answer and the extraction rule.
        Exit status for one pair: 0 equivalent, 1 different, 3 unparseable (2: usage error).
        With --pairs the exit status is 0 once every line is judged (the verdicts are in OUT).

        With --pairs IN.jsonl --out OUT.jsonl, judges every line; a bad line is reported on stderr with its line number and written with outcome "unparseable", reason "bad input line".
        """
        from curation.verifier import Verifier

        if mode not in ("auto", "response", "answer"):
            raise VerifyInputError(f"--mode must be auto, response or answer, got {mode!r}")
        if timeout <= 0:
            raise VerifyInputError("--timeout must be positive")
        verifier = Verifier(timeout=timeout)
        model_judge = _model_judge(judge_model, judge_base_url, judge_api_key_env, judge_reasoning,
                                   judge_text_answers, judge_store)
        if pairs is None:
            if out is not None:
                raise VerifyInputError("--out needs --pairs")
            if reference is None or answer is None:
                raise VerifyInputError("give REFERENCE and ANSWER, or --pairs IN.jsonl --out OUT.jsonl")
            j = judge_auto(verifier, read_reference(reference), answer, mode)
            if model_judge is not None:
                j = model_judge.review([(question or "", reference, answer, j)])[0]
            if as_json:
                typer.echo(json.dumps({"outcome": j.outcome, "reason": j.reason, "extracted": j.extracted, "rule": j.rule,
                                       "judged_by": j.judged_by}, ensure_ascii=False))
            else:
                typer.echo(j.outcome)
                typer.echo(f"reason: {j.reason}")
                typer.echo(f"extracted: {j.extracted}")
                typer.echo(f"rule: {j.rule}")
                typer.echo(f"judged_by: {j.judged_by}")
            raise typer.Exit(EXIT_CODES[j.outcome])
        if reference is not None or answer is not None:
            raise VerifyInputError("give either REFERENCE ANSWER or --pairs, not both")
        if out is None:
            raise VerifyInputError("--pairs needs --out OUT.jsonl")
        _verify_file(verifier, pairs, out, mode, processes, model_judge)


def _model_judge(model, base_url, api_key_env, reasoning, text_answers, store):
    if model is None:
        if base_url is not None:
            raise VerifyInputError("--judge-base-url needs --judge-model")
        return None
    if not base_url:
        raise VerifyInputError("--judge-model needs --judge-base-url (an OpenAI-compatible endpoint)")
    from curation.io import sqlite_url
    from curation.verifier.judge_model import JudgeConfig, ModelJudge

    config = JudgeConfig(base_url=base_url, model=model, api_key_env=api_key_env, reasoning=reasoning,
                         text_answers=text_answers)
    return ModelJudge(config, store_url=sqlite_url(store) if store else None)


def _wants_extraction(answer: str, mode: str) -> bool:
    from curation.verifier import extract_answer

    if mode != "auto":
        return mode == "response"
    if _looks_like_response(answer):
        return True
    rule = extract_answer(answer).rule
    if rule in ("final_answer_phrase", "answer_colon", "conclusion"):
        return True
    # a short statement ("We find that $x < 3$.") is read through extraction when, as given, it is
    # not math; a bare final answer ("x < 3", "odd") is judged as given
    from curation.verifier import classify_answer_type

    return rule in ("statement", "trailing_number") and classify_answer_type(answer) in ("text", "unknown")


def _verify_file(verifier, pairs: Path, out: Path, mode: str, processes: int, model_judge=None) -> None:
    from curation.verifier import Judgment
    from curation.verifier.pool import judge_in_pool

    try:
        lines = pairs.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise VerifyInputError(f"pairs file not found: {pairs}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise VerifyInputError(f"cannot read pairs file {pairs}: {exc}") from None
    records: list[dict] = []
    todo: list[tuple[int, str, str, bool]] = []
    bad = 0
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        obj = None
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            ref, ans = obj.get("reference"), obj.get("answer")
            if not isinstance(ref, str) or not isinstance(ans, str):
                raise ValueError("'reference' and 'answer' must be strings")
        except ValueError as exc:
            bad += 1
            typer.echo(f"{pairs}:{n}: bad input line: {exc}", err=True)
            rec = obj if isinstance(obj, dict) else {"line": n, "raw": line}
            rec.update(outcome="unparseable", extracted=None, rule=None, reason="bad input line")
            records.append(rec)
            continue
        records.append(obj)
        todo.append((len(records) - 1, read_reference(ref), ans, _wants_extraction(ans, mode)))
    judged: dict[int, Judgment] = {}
    for extract in (True, False):
        batch = [(idx, r, a) for idx, r, a, e in todo if e is extract]
        got = judge_in_pool([(r, a) for _, r, a in batch], responses=extract, processes=processes,
                            timeout=verifier.timeout) if processes > 1 else verifier.judge_many(
            [(r, a) for _, r, a in batch], responses=extract)
        for (idx, _, a), j in zip(batch, got):
            judged[idx] = j if extract else Judgment(j.outcome, j.reason, a, "as_given")
    if model_judge is not None:
        order = sorted(judged)
        reviewed = model_judge.review([
            (str(records[i].get("question") or ""), records[i]["reference"], records[i]["answer"], judged[i]) for i in order
        ])
        judged = dict(zip(order, reviewed))
    counts = {"equivalent": 0, "different": 0, "unparseable": bad}
    for idx, j in judged.items():
        records[idx].update(outcome=j.outcome, extracted=j.extracted, rule=j.rule, reason=j.reason, judged_by=j.judged_by)
        counts[j.outcome] += 1
    try:
        from curation.io import atomic_path

        with atomic_path(out) as tmp, tmp.open("w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise VerifyInputError(f"cannot write {out}: {exc}") from None
    typer.echo(
        f"judged {len(records)} lines: {counts['equivalent']} equivalent, {counts['different']} different, "
        f"{counts['unparseable']} unparseable ({bad} bad input lines) -> {out}",
        err=True,
    )
