"""Building the learner's exercise models in their sandbox with dbt, and what the build knows afterwards: the
manifest's nodes in the learner's folder, each node's result, the tests attached to a model, the learner's
macros and the project's vars. dbt's own messages are shortened for the report (:func:`short`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dpc.exercises import Exercise
from dpc.sandbox import Sandbox, manifest, project_config, run_dbt

SILENT = ("--log-level", "none")  # the report says what failed; dbt's own log is in <sandbox>/logs/dbt.log


class ProjectUnreadable(Exception):
    """dbt failed before building anything: the learner's sandbox project does not parse. The message is dbt's
    error, shortened."""


@dataclass
class BuildContext:
    sb: Sandbox
    manifest: dict[str, Any]
    results: dict[str, Any]  # unique_id → NodeResult of the first build
    variables: dict[str, Any]

    def learner_nodes(self) -> list[dict[str, Any]]:
        root = self.sb.work_link + "/"
        return [n for n in self.manifest.get("nodes", {}).values() if n["original_file_path"].startswith(root)]

    def model(self, name: str) -> dict[str, Any] | None:
        for node in self.learner_nodes():
            if node["resource_type"] == "model" and node["name"] == name:
                return node
        return None

    def tests_of(self, model: dict[str, Any]) -> list[dict[str, Any]]:
        uid = model["unique_id"]
        return [
            n
            for n in self.manifest.get("nodes", {}).values()
            if n["resource_type"] == "test"
            and (n.get("attached_node") == uid or uid in n.get("depends_on", {}).get("nodes", []))
        ]

    def learner_macros(self) -> dict[str, dict[str, Any]]:
        root = self.sb.work_link + "/"
        return {
            m["name"]: m for m in self.manifest.get("macros", {}).values() if m["original_file_path"].startswith(root)
        }


def build(sb: Sandbox, exercises: list[Exercise]) -> BuildContext:
    """Build each exercise's model with the learner's own models it is built from (never the shared ones: those are
    the published copies in the sandbox), fully refreshed, with the learner's tests. Raises
    :class:`ProjectUnreadable` when dbt fails before building anything."""
    selection = [f"+{e.model},path:{sb.work_link}" for e in exercises]
    outcome = run_dbt(sb, ["build", *SILENT, "--full-refresh", "--select", *selection])
    if not outcome.success and not outcome.nodes:
        raise ProjectUnreadable(short(outcome.error or "dbt failed before building anything", 20))
    return BuildContext(sb, manifest(sb), {n.unique_id: n for n in outcome.nodes}, project_config(sb)["vars"])


def short(text: str, lines: int) -> str:
    """A message of dbt's for the report: its first `lines` non-empty lines, indented."""
    kept = [line for line in str(text).strip().splitlines() if line.strip()]
    cut = kept[:lines] + ([f"… ({len(kept) - lines} more lines)"] if len(kept) > lines else [])
    return "\n".join("    " + line for line in cut)
