"""The project's one error vocabulary: every failure a step reports has one of these names.

STANDARD LIBRARY ONLY (the Lambdas import it). A Lambda that raises one of the exceptions below fails its task
with the class name as the error (Lambda's ``errorType``); the runner answers ``SendTaskFailure`` with the same
names (:data:`RUNNER_ERRORS`); the state machine catches them by name
(``orchestration/statemachine/pipeline.asl.json``) and the notification says what each means
(docs/orchestration.md, "Failures"). A test checks that every name a task can end with is caught by name.
"""

from __future__ import annotations

# --- names the runner answers with (SendTaskFailure.error) ------------------------------------------------------
DBT_TEST_FAILURE = "DbtTestFailure"  # a data/unit test failed (severity error): the data did not pass its audit
DBT_COMPILATION_ERROR = "DbtCompilationError"  # Jinja/ref/parse error: the project is broken, retrying will not help
DBT_RUNTIME_ERROR = "DbtRuntimeError"  # a model or hook failed in the warehouse (SQL error, lost connection …)
RUNNER_CONFIG_ERROR = "RunnerConfigError"  # missing or invalid environment / overrides, unknown dbt command
INTERRUPTED = "Interrupted"  # SIGTERM/SIGINT (ECS stop, spot reclaim): dbt was cancelled cleanly
DELIVERY_REJECTED = "DeliveryRejected"  # a delivered file or the manifest was rejected (nothing was loaded)
RUNNER_ERROR = "RunnerError"  # anything else (artifact upload failed, unexpected exception)

RUNNER_ERRORS = (
    DBT_TEST_FAILURE,
    DBT_COMPILATION_ERROR,
    DBT_RUNTIME_ERROR,
    RUNNER_CONFIG_ERROR,
    INTERRUPTED,
    DELIVERY_REJECTED,
    RUNNER_ERROR,
)


class DpcError(Exception):
    """Base of the errors the steps raise; ``name`` is what the state machine and notifications see."""

    @property
    def name(self) -> str:
        return type(self).__name__


class StepInputError(DpcError, ValueError):
    """The state handed to a step lacks what it needs (an earlier step's answer, a setting): a defect of the
    deployment or of the state machine, not of the data; retrying does not help."""


class ConfigurationError(DpcError, KeyError):
    """A required setting (environment variable, secret) is missing."""

    def __str__(self) -> str:  # KeyError quotes its message; this one is a sentence
        return str(self.args[0]) if self.args else ""


class StatementFailed(DpcError, RuntimeError):
    """A warehouse statement ended FAILED or ABORTED (or did not finish in time)."""

    def __init__(self, statement_id: str, status: str, error: str) -> None:
        super().__init__(f"statement {statement_id} {status}: {error}")
        self.statement_id = statement_id
        self.status = status
        self.error = error


class PublicationBlocked(DpcError, RuntimeError):
    """A publication that cannot be made as asked (held-back deliveries it cannot leave out): nothing is published."""


class DispatchFailed(DpcError, RuntimeError):
    """Some pending deliveries could not be started (the schedule's retry runs the dispatcher again)."""


class RunLocked(DpcError, RuntimeError):
    """Another run holds the warehouse: one run at a time per warehouse (the second is refused, not queued)."""


class NoSavedHistory(DpcError, RuntimeError):
    """A rebuild of the local warehouse finds no load history saved in the lake (dpc/recovery.py)."""


# the names a Lambda of the state machine can fail with (besides Lambda's own service errors)
LAMBDA_ERRORS = (StepInputError.__name__, ConfigurationError.__name__, StatementFailed.__name__)
