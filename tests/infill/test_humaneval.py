"""The HumanEval harness scores the reference solutions as correct and empty ones as wrong.

No model is needed: ``complete_fn`` returns the canonical solution or an empty string.
"""

import json

import pytest

from infill.errors import InfillError, TaskError
from infill.eval.humaneval import (
    EvalReport,
    Task,
    check_completion,
    evaluate,
    find_data_dir,
    load_tasks,
    paired_comparison,
    passed_by_task,
    problem_of,
    syntax_valid,
)

try:
    DATA_DIR = find_data_dir()
except InfillError as exc:
    pytest.skip(f"HumanEval-infilling data not available: {exc}", allow_module_level=True)


@pytest.fixture(scope="module")
def tasks() -> list[Task]:
    return load_tasks("single-line", DATA_DIR, limit=10, seed=0)


def _canonical(task: Task) -> dict:
    return {"completion": task.canonical_solution, "latency_ms": 5.0, "forward_passes": 4, "tokens": 8}


def test_load_tasks_is_a_seeded_sample_in_file_order(tasks):
    ids = [t.task_id for t in load_tasks("single-line", DATA_DIR)]
    assert len(ids) == 1033
    picked = [t.task_id for t in tasks]
    assert len(picked) == 10 and picked == sorted(picked, key=ids.index)
    assert picked == [t.task_id for t in load_tasks("single-line", DATA_DIR, limit=10, seed=0)]
    assert picked != [t.task_id for t in load_tasks("single-line", DATA_DIR, limit=10, seed=1)]


def test_unknown_subset_and_missing_dir_raise(tmp_path):
    with pytest.raises(TaskError):
        load_tasks("two-line", DATA_DIR)
    with pytest.raises(InfillError, match="tried"):
        find_data_dir(tmp_path)


def test_find_data_dir_honours_the_environment(monkeypatch):
    monkeypatch.setenv("INFILL_HUMANEVAL_DIR", str(DATA_DIR))
    assert find_data_dir() == DATA_DIR


def test_canonical_solutions_pass(tasks):
    report = evaluate(tasks, _canonical, workers=2, progress=False)
    s = report.summary()
    assert s["n"] == 10 and s["errors"] == 0
    assert s["pass@1"] == 1.0 and s["exact_match"] == 1.0 and s["syntax_valid_rate"] == 1.0
    assert s["empty_rate"] == 0.0 and s["forward_passes_per_token"] == 0.5 and s["latency_p95_ms"] == 5.0
    json.dumps(report.to_dict())
    assert "pass@1" in report.format_table()


def test_empty_completions_mostly_fail(tasks):
    report = evaluate(tasks[:4], lambda t: {"completion": ""}, workers=2, progress=False)
    s = report.summary()
    assert s["pass@1"] <= 0.25 and s["empty_rate"] == 1.0 and s["exact_match"] == 0.0
    assert all(o.failure for o in report.outcomes if not o.passed)


def test_exact_match_counts_indentation(tasks):
    """``else:`` one level too deep is another program, not an exact match."""
    task = tasks[0]
    shifted = "    " + task.canonical_solution
    report = evaluate([task], lambda t: {"completion": shifted}, workers=1, progress=False)
    assert report.outcomes[0].exact_match is False
    plain = evaluate([task], lambda t: {"completion": task.canonical_solution.rstrip("\n")}, workers=1,
                     progress=False)
    assert plain.outcomes[0].exact_match is True


def test_any_of_checks_the_other_candidates_for_the_ranking_ceiling(tasks):
    """pass@1 stays the first candidate's; pass@any counts a task when some candidate passes."""
    wrong = "    raise SystemExit(3)\n"

    def ranked(task: Task) -> dict:
        if task is tasks[0]:       # the right line ranked third, behind a repeat of the first
            return {"completion": wrong, "candidates": [wrong, "    pass\n", wrong, task.canonical_solution]}
        if task is tasks[1]:       # right first: the others are not run
            return {"completion": task.canonical_solution, "candidates": [task.canonical_solution, wrong]}
        return {"completion": wrong, "candidates": [wrong, 7]}      # no right one, and a non-string

    report = evaluate(tasks[:3], ranked, workers=2, progress=False, any_of=True)
    first, second, third = report.outcomes
    assert (first.passed, first.passed_any, first.candidates_checked) == (False, True, 3)
    assert (second.passed, second.passed_any, second.candidates_checked) == (True, True, 1)
    assert (third.passed, third.passed_any, third.candidates_checked) == (False, False, 1)
    s = report.summary()
    assert s["pass@1"] == pytest.approx(1 / 3) and s["pass@any"] == pytest.approx(2 / 3)
    assert s["candidates_checked"] == pytest.approx(5 / 3)
    plain = evaluate(tasks[:1], ranked, workers=1, progress=False)   # off: the first candidate only
    assert plain.outcomes[0].passed_any is None and "pass@any" not in plain.summary()


def test_a_raising_complete_fn_fails_its_task_and_the_eval_goes_on(tasks):
    def flaky(task: Task) -> dict:
        if task is tasks[0]:
            raise RuntimeError("model exploded")
        return _canonical(task)

    report = evaluate(tasks[:2], flaky, workers=1, progress=False)
    first, second = report.outcomes
    assert not first.passed and first.error == "RuntimeError: model exploded"
    assert second.passed and second.error is None
    assert report.summary()["errors"] == 1


def test_check_completion_and_syntax(tasks):
    task = tasks[0]
    assert check_completion(task, task.canonical_solution)
    assert syntax_valid(task, task.canonical_solution)
    assert not syntax_valid(task, "    )(\n")


def test_empty_report_summary_is_zeros():
    assert EvalReport().summary()["pass@1"] == 0.0


def test_paired_comparison_counts_disagreements_and_resamples_problems():
    ids = [f"SingleLineInfilling/HumanEval/{p}/L{i}" for p in range(4) for i in range(5)]
    assert problem_of(ids[7]) == "HumanEval/1" and problem_of("HumanEval/3") == "HumanEval/3"
    base = {t: i % 2 == 0 for i, t in enumerate(ids)}                   # 10 of 20 pass
    same = paired_comparison(base, dict(base))
    assert same["difference"] == 0 and same["mcnemar_p"] == 1.0 and same["ci95"] == [0.0, 0.0]
    better = {t: True for t in ids}                                     # 10 more, none lost
    r = paired_comparison(base, better)
    assert (r["tasks"], r["problems"], r["only_base"], r["only_other"]) == (20, 4, 0, 10)
    assert r["difference"] == 0.5 and r["mcnemar_p"] == pytest.approx(2 / 2 ** 10)
    assert 0 < r["ci95"][0] <= 0.5 <= r["ci95"][1]
    # A swap of equal size is no difference at all, whatever its size.
    swapped = {t: not v for t, v in base.items()}
    assert paired_comparison(base, swapped)["difference"] == 0 and paired_comparison(base, swapped)["mcnemar_p"] == 1.0
    # Only the shared ids count; none shared is an error, not a zero.
    assert paired_comparison(base, {ids[0]: True, "other/id/x/y": True})["tasks"] == 1
    with pytest.raises(TaskError, match="share no task ids"):
        paired_comparison(base, {"x": True})


def test_compare_evals_reads_eval_reports(tasks, tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "compare_evals", Path(__file__).resolve().parents[2] / "benchmarks" / "compare_evals.py")
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    good = evaluate(tasks, _canonical, progress=False).to_dict()
    bad = evaluate(tasks, lambda t: {"completion": ""}, progress=False).to_dict()
    assert passed_by_task(good) == {t.task_id: True for t in tasks}
    (tmp_path / "a.json").write_text(json.dumps(bad))
    (tmp_path / "b.json").write_text(json.dumps(good))
    assert compare.main([str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--out", str(tmp_path / "c.json")]) == 0
    row = json.loads((tmp_path / "c.json").read_text())["comparisons"][str(tmp_path / "b.json")]
    assert row["only_other"] == len(tasks) - row["both_passed"] and row["difference"] > 0
    (tmp_path / "x.json").write_text(json.dumps({"summary": {}}))
    assert compare.main([str(tmp_path / "a.json"), str(tmp_path / "x.json")]) == 2
    assert "not an `infill eval --out` report" in capsys.readouterr().err
