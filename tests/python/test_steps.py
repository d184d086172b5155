"""One rule per step: a delivery's way through the local pipeline and through the AWS path calls the same step
functions in the same order (:data:`dpc.steps.DELIVERY_STEPS`).

The local side is recorded while the specification's worked examples run through ``run_local`` (spec_build); the
AWS side while the state machine's handlers and the runner's step run for one delivery
(test_orchestration_execution.py); here, the order of the local run, and each AWS entry point's step function.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from dpc.steps import DELIVERY_STEPS
from tests.python.conftest import PROJECT_DIR

LAMBDAS = PROJECT_DIR / "orchestration" / "lambdas"
# the state machine's task states in order, each with the entry point that runs it
AWS_PATH = [
    ("ValidateManifest", "validate", LAMBDAS / "validate_manifest.py"),
    ("Normalise", "normalise", PROJECT_DIR / "runner" / "steps.py"),
    ("LoadRaw", "load", LAMBDAS / "load_raw.py"),
    ("RunDbt", "transform", PROJECT_DIR / "runner" / "__main__.py"),
    ("DataQuality", "dq", LAMBDAS / "data_quality.py"),
    ("Publish", "publish", LAMBDAS / "publish.py"),
    ("Export", "export", LAMBDAS / "export.py"),
    ("Notify", "notify", LAMBDAS / "notify.py"),
]


def test_the_local_run_takes_each_delivery_through_the_steps_in_order(spec_build: Path) -> None:
    steps = json.loads((spec_build / "steps.json").read_text(encoding="utf-8"))
    summary = json.loads((spec_build / "summary.json").read_text(encoding="utf-8"))
    per_delivery: list[str] = []
    for d in summary["deliveries"]:
        assert d["status"] in ("loaded", "rejected"), d
        per_delivery += ["validate", "normalise"] + (["load"] if d["status"] == "loaded" else [])
    assert any(d["status"] == "loaded" for d in summary["deliveries"])
    assert steps == per_delivery + ["transform", "dq", "publish", "export", "notify"]
    assert [s for i, s in enumerate(steps) if s not in steps[:i]] == list(DELIVERY_STEPS)


def _step_functions() -> dict[str, set[str]]:
    """step → the names of the functions that enter it (decorated with dpc.steps.step)."""
    import importlib
    import pkgutil

    import dpc
    import runner

    out: dict[str, set[str]] = {}
    for package in (dpc, runner):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.startswith(("dpc.generate", "dpc.exercises")):
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                step = getattr(value, "dpc_step", None)
                if isinstance(step, str) and getattr(value, "__module__", None) == info.name:
                    out.setdefault(step, set()).add(name)
    return out


def test_each_step_has_its_function_and_the_state_machine_runs_them_in_order() -> None:
    functions = _step_functions()
    assert set(functions) == set(DELIVERY_STEPS), functions
    assert [step for _, step, _ in AWS_PATH] == list(DELIVERY_STEPS)
    definition = (PROJECT_DIR / "orchestration" / "statemachine" / "pipeline.asl.json").read_text(encoding="utf-8")
    states = json.loads(re.sub(r"\$\{\w+\}", "0", definition))["States"]
    # follow the success path from the start: the task states of the steps, in the order the machine runs them
    order, name = [], json.loads(re.sub(r"\$\{\w+\}", "0", definition))["StartAt"]
    while name:
        state = states[name]
        if name in {s for s, _, _ in AWS_PATH}:
            order.append(name)
        name = state.get("Next") or next((c["Next"] for c in state.get("Choices", [])), None)
        if state["Type"] == "Choice" and name in order:  # a polling loop's way back
            name = state.get("Default")
    assert order == [s for s, _, _ in AWS_PATH]
    for _, step, entry in AWS_PATH:
        called = {
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            for node in ast.walk(ast.parse(entry.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call)
        }
        assert called & (functions[step] | {"plan"}), (entry.name, step, functions[step])


def test_every_error_a_lambda_raises_is_named_in_the_vocabulary_and_caught_by_name() -> None:
    """One error vocabulary (dpc/errors.py): the Lambdas raise only its classes, and each state-machine Lambda
    state catches them by name before its States.ALL fallback."""
    from dpc import errors

    raised: dict[str, set[str]] = {}
    for handler in sorted(LAMBDAS.glob("*.py")):
        for node in ast.walk(ast.parse(handler.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                name = getattr(node.exc.func, "id", None) or getattr(node.exc.func, "attr", "")
                raised.setdefault(handler.stem, set()).add(name)
    for module, names in raised.items():
        for name in names:
            assert isinstance(getattr(errors, name, None), type), f"{module} raises {name}, not in dpc/errors.py"
    definition = (PROJECT_DIR / "orchestration" / "statemachine" / "pipeline.asl.json").read_text(encoding="utf-8")
    states = json.loads(re.sub(r"\$\{\w+\}", "0", definition))["States"]
    for state in ("ValidateManifest", "LoadRaw", "DataQuality", "Publish", "Export"):
        catches = states[state]["Catch"]
        assert catches[-1]["ErrorEquals"] == ["States.ALL"]
        named = {e for c in catches[:-1] for e in c["ErrorEquals"]}
        assert set(errors.LAMBDA_ERRORS) <= named, (state, named)
