"""Both CI entry points run the README's test command, `make test` (docs/decisions/0021): `.ci/run` and the GitHub
Actions workflow, the latter with the tool versions the project pins (Python 3.11, Terraform 1.11, node)."""

from __future__ import annotations

import re

import yaml

from dpc.paths import PROJECT_DIR


def test_ci_run_and_the_github_workflow_run_make_test() -> None:
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^make test\s+#", readme, flags=re.MULTILINE), "the README's test command is `make test`"
    script = (PROJECT_DIR / ".ci" / "run").read_text(encoding="utf-8")
    assert [line for line in script.splitlines() if line.startswith("exec ")] == ["exec make test"]

    workflow = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    assert {"push", "pull_request"} <= set(workflow[True])  # YAML 1.1 reads the key `on` as True
    (job,) = workflow["jobs"].values()
    assert re.fullmatch(r"python:3\.11\.\d+-\w+", job["container"])
    steps = job["steps"]
    uses = {s["uses"].split("@")[0]: s.get("with", {}) for s in steps if "uses" in s}
    assert uses["hashicorp/setup-terraform"]["terraform_version"].startswith("1.11.")
    assert "actions/setup-node" in uses and "actions/checkout" in uses
    runs = [s["run"] for s in steps if "run" in s]
    assert any(re.fullmatch(r"make test( PYTHON=python3\.11)?", r.strip()) for r in runs), runs
    # the provider version the workflow's Terraform will install is the one every module pins
    pins = {
        m.group(1)
        for path in (PROJECT_DIR / "infra" / "terraform" / "modules").glob("*/versions.tf")
        for m in re.finditer(r'^\s+version\s*=\s*"([^"]+)"', path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    }
    assert pins == {"~> 5.100"}
