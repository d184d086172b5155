"""dpc-runner: the entrypoint of the ECS Fargate task that Step Functions starts with a task token.

One image, two steps (docs/decisions/0014): ``STEP=dbt`` (the default) runs one dbt command through
:func:`dpc.steps.transform.run_dbt`; ``STEP=normalise`` runs :func:`dpc.steps.normalise.normalise_delivery`
on one delivery in S3. Configured only by environment variables (see :mod:`runner.config` and
``docs/runner.md``). With ``TASK_TOKEN`` set, the runner heartbeats while it works and answers the state
machine exactly once (``SendTaskSuccess`` with a small JSON summary, or ``SendTaskFailure`` with an error
name from :mod:`runner.errors`); without one it runs the same code locally and prints the summary.
"""

from __future__ import annotations
