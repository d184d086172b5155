"""Orchestration test support: a moto server able to run the pipeline's state machine, and tests pinning it.

It builds on the shared :mod:`tests.python.moto_support` (``MotoServer``, execution helpers, and its two fixes of
moto 5.2.5's request conversion: the ECS integration's PascalCase parameters, SendTaskFailure's dropped cause) and
starts moto the same way — moto's own server in a subprocess on a free 127.0.0.1 port with ``MOTO_PORT`` set —
after applying, inside that server process only, those two fixes and two more for the Redshift Data API. Each is
the behaviour of the real service, not of our code, and each is pinned by a test below so that it can be dropped
when moto changes:

1. **ECS runTask parameters** (moto_support's fix): Step Functions converts a task's PascalCase ``Parameters``
   to the ECS API's member names, and the response back; moto's interpreter does not (``KeyError: 'Cluster'``).
2. **SendTaskFailure's cause** (moto_support's fix): moto's HTTP layer drops ``cause`` on its way to the
   interpreter, which accepts it.
3. **The AWS SDK integration's service name.** ``arn:aws:states:::aws-sdk:redshiftdata:describeStatement`` names
   the service ``redshiftdata``; Step Functions maps it to the Redshift Data API, moto hands it to boto3 as is
   ("Unknown service"). One entry is added to moto's own SFN→boto name table.
4. **Statements finish.** moto's Redshift Data API has no Redshift behind it: a statement stays ``STARTED``
   forever. Here a ``STARTED`` statement reports ``FINISHED`` from its second ``DescribeStatement`` on (so the
   state machine's Wait → Describe loop runs at least once); ``CancelStatement`` still ends it ``ABORTED``.

Lambda states run in moto's simple Lambda mode (``{"lambda": {"use_docker": false}}``): each invocation returns
the next response queued with ``POST /moto-api/static/lambda-simple/response``; the tests queue, for each Lambda
state, what the real handler returned when the test called it directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dpc.paths import PROJECT_DIR
from tests.python.conftest import delivered_files
from tests.python.moto_support import (
    ACCOUNT_ID,
    FAKE_CREDENTIALS,
    REGION,
    MotoServer,
    events_of_type,
    execution_history,
    free_port,
    wait_for_execution,
)

ASL_PATH = PROJECT_DIR / "orchestration" / "statemachine" / "pipeline.asl.json"
LAMBDAS_DIR = PROJECT_DIR / "orchestration" / "lambdas"
ENV = "dev"
WORKGROUP = f"dpc-learning-{ENV}"
DATABASE = "dpc"
CONTAINER = "dpc-runner"
HANDLERS = {
    "validate_manifest": "validate-manifest",
    "load_raw": "load-raw",
    "record_partitions": "record-partitions",
    "data_quality": "data-quality",
    "publish": "publish",
    "export": "export",
    "notify": "notify",
}


# --- inside the server process --------------------------------------------------------------------------------


def apply_moto_workarounds() -> list[str]:
    """The workarounds of the module docstring (run in the moto server process, before it serves); returns the
    names of those applied (each one is skipped once moto does the right thing itself)."""
    from moto.redshiftdata.models import RedshiftDataAPIServiceBackend
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    from tests.python.moto_support import _fix_ecs_integration_casing, _fix_send_task_failure_cause

    applied = [
        name
        for name, fix in (
            ("ecs_integration_casing", _fix_ecs_integration_casing),
            ("send_task_failure_cause", _fix_send_task_failure_cause),
        )
        if fix()
    ]

    # 3. aws-sdk:redshiftdata → boto3's "redshift-data"
    names = StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES
    if "redshiftdata" not in names:
        names["redshiftdata"] = "redshift-data"  # type: ignore[index]
        applied.append("aws_sdk_redshiftdata_name")

    # 4. a STARTED statement is FINISHED from its second DescribeStatement on
    original = RedshiftDataAPIServiceBackend.describe_statement

    def describe_statement(self, statement_id):  # type: ignore[no-untyped-def]
        statement = original(self, statement_id)
        seen = getattr(statement, "_describes", 0) + 1
        statement._describes = seen
        if statement.status == "STARTED" and seen >= 2:
            statement.status = "FINISHED"
        return statement

    RedshiftDataAPIServiceBackend.describe_statement = describe_statement  # type: ignore[method-assign]
    applied.append("redshift_data_statements_finish")
    return applied


def serve(port: int) -> None:
    """Entry point of the server subprocess."""
    print(f"orchestration moto: workarounds applied: {', '.join(apply_moto_workarounds())}", flush=True)
    from moto.server import main

    main(["-H", "127.0.0.1", "-p", str(port)])


# --- in the test process --------------------------------------------------------------------------------------


@contextlib.contextmanager
def orchestration_moto() -> Iterator[MotoServer]:
    """A moto server (subprocess) with the workarounds, the Step Functions interpreter and simple Lambda mode."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix=f"moto-orch-{port}-", suffix=".log", delete=False)  # noqa: SIM115
    env = {
        **os.environ,
        "MOTO_PORT": str(port),
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": REGION,
        "PYTHONPATH": str(PROJECT_DIR),
    }
    env.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from tests.python.test_orchestration_moto import serve; serve(int(sys.argv[1]))",
            str(port),
        ],
        cwd=str(PROJECT_DIR),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    log.close()
    server = MotoServer(port=port, process=process, log_path=Path(log.name))
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto server exited with {process.returncode}:\n{server.log_tail()}")
            try:
                server.api("/moto-api/config")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start:\n{server.log_tail()}") from None
                time.sleep(0.1)
        server.enable_stepfunctions_interpreter()
        server.api("/moto-api/config", {"lambda": {"use_docker": False}})
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        with contextlib.suppress(OSError):
            Path(log.name).unlink()


def render_definition(values: dict[str, str], path: Path = ASL_PATH) -> str:
    """``templatefile``'s interpolation of ``${name}`` (the only template syntax the definition uses)."""
    text = path.read_text(encoding="utf-8")
    missing = sorted(set(re.findall(r"\$\{(\w+)\}", text)) - set(values))
    if missing:
        raise KeyError(f"template variables without a value: {missing}")
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text)


def template_variables(path: Path = ASL_PATH) -> set[str]:
    return set(re.findall(r"\$\{(\w+)\}", path.read_text(encoding="utf-8")))


@dataclass
class Stack:
    """The pipeline's AWS resources, created in moto the way the pipeline module names them."""

    server: MotoServer
    bucket: str
    table: str
    topic_arn: str
    queue_url: str
    cluster_arn: str
    task_definitions: dict[str, str]
    functions: dict[str, str]
    subnets: list[str]
    security_group: str
    state_machine_arn: str = ""
    kms_key_arn: str = ""
    glue_prefix: str = ""
    values: dict[str, str] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        return self.server.client(service)

    def env(self, **extra: str) -> dict[str, str]:
        """The Lambdas' environment (as the pipeline module sets it) plus the moto endpoint."""
        return {
            **self.server.env(),
            "DPC_ENV": ENV,
            "DATA_BUCKET": self.bucket,
            "REDSHIFT_WORKGROUP": WORKGROUP,
            "REDSHIFT_DATABASE": DATABASE,
            "DELIVERIES_TABLE": self.table,
            "SNS_TOPIC_ARN": self.topic_arn,
            "STATE_MACHINE_ARN": self.state_machine_arn,
            "SLACK_WEBHOOK_SECRET_ARN": "",
            "GLUE_DATABASE_PREFIX": self.glue_prefix,
            "POLL_SECONDS": "1",
            **extra,
        }

    def queue_lambda_results(self, results: list[Any]) -> None:
        """What the next Lambda invocations return, in order (moto's simple Lambda mode)."""
        self.server.api(
            "/moto-api/static/lambda-simple/response",
            {"results": [json.dumps(r) for r in results], "region": self.server.region},
        )

    def drain_lambda_results(self) -> int:
        """Consume responses left queued (by a test that failed half-way) so they reach no later execution: the
        simple Lambda mode echoes the request once its queue is empty. Returns how many were left."""
        lam = self.client("lambda")
        function = next(iter(self.functions.values()))
        for left in range(1000):
            probe = json.dumps({"drain": str(uuid.uuid4())})
            if lam.invoke(FunctionName=function, Payload=probe.encode())["Payload"].read().decode() == probe:
                return left
        raise AssertionError("the simple Lambda queue does not drain")

    def received_messages(self, *, expect: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
        """SNS notifications delivered to the test's SQS subscription (the SNS envelopes, parsed)."""
        sqs = self.client("sqs")
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(out) < expect and time.monotonic() < deadline:
            got = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in got.get("Messages", []):
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
                out.append(json.loads(m["Body"]))
        return out


def create_raw_glue_tables(server: MotoServer, database: str, bucket: str) -> None:
    """The raw Glue database and tables as infra/terraform/modules/glue_athena makes them: one table per raw and
    quarantine relation, partitioned by yyyymm and facility, no projection (docs/decisions/0011)."""
    from dpc.steps.load import RAW_RELATIONS

    glue = server.client("glue")
    glue.create_database(DatabaseInput={"Name": database})
    for relation, layer in RAW_RELATIONS:
        glue.create_table(
            DatabaseName=database,
            TableInput={
                "Name": relation.split(".")[1],
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"classification": "parquet", "has_encrypted_data": "true"},
                "PartitionKeys": [{"Name": "yyyymm", "Type": "int"}, {"Name": "facility", "Type": "string"}],
                "StorageDescriptor": {
                    "Columns": [{"Name": "facility_code", "Type": "string"}],
                    "Location": f"s3://{bucket}/stage/{layer}/",
                    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                },
            },
        )


def create_stack(server: MotoServer, *, name: str = "dpc-learning-dev", full: bool = True) -> Stack:
    """Bucket, registry table, topic (+ an SQS subscription to read it), KMS key; with ``full`` also the ECS
    cluster and runner task definitions, one Lambda per handler (simple mode: the code is never run) and the
    state machine."""
    s3, ddb, sns, sqs = (server.client(s) for s in ("s3", "dynamodb", "sns", "sqs"))
    ecs, ec2, iam, lam, sfn, kms = (server.client(s) for s in ("ecs", "ec2", "iam", "lambda", "stepfunctions", "kms"))
    bucket = f"{name}-data"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": server.region})
    table = f"{name}-deliveries"
    ddb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "delivery_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "delivery_id", "AttributeType": "S"}],
    )
    topic_arn = sns.create_topic(Name=f"{name}-notifications")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"{name}-notifications-test")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    kms_key_arn = kms.create_key(Description="dpc platform key")["KeyMetadata"]["Arn"]
    glue_prefix = "dpc_" + re.sub(r"[^a-z0-9]", "_", name.lower())
    create_raw_glue_tables(server, f"{glue_prefix}_raw", bucket)
    if not full:
        return Stack(
            server,
            bucket,
            table,
            topic_arn,
            queue_url,
            "",
            {},
            {},
            [],
            "",
            kms_key_arn=kms_key_arn,
            glue_prefix=glue_prefix,
        )
    cluster_arn = ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]
    task_definitions = {}
    for step in ("normalise", "dbt"):
        family = f"dpc-runner-{step}-{ENV}"
        ecs.register_task_definition(
            family=family,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="1024",
            memory="2048",
            containerDefinitions=[
                {"name": CONTAINER, "image": "dpc-runner:test", "essential": True, "command": [step], "memory": 2048}
            ],  # moto sums container memory when it places a task
        )
        task_definitions[step] = f"arn:aws:ecs:{server.region}:{ACCOUNT_ID}:task-definition/{family}"
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][
        :3
    ]
    security_group = ec2.create_security_group(GroupName=f"{name}-runner", Description="runner", VpcId=vpc)["GroupId"]
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    functions = {}
    for module, key in HANDLERS.items():
        functions[module] = lam.create_function(
            FunctionName=f"{name}-{key}",
            Runtime="python3.11",
            Role=role,
            Handler=f"{module}.handler",
            Code={"ZipFile": _tiny_zip()},
        )["FunctionArn"]
    stack = Stack(
        server,
        bucket,
        table,
        topic_arn,
        queue_url,
        cluster_arn,
        task_definitions,
        functions,
        subnets,
        security_group,
        kms_key_arn=kms_key_arn,
        glue_prefix=glue_prefix,
    )
    stack.values = {
        **{f"{module}_arn": arn for module, arn in functions.items()},
        "ecs_cluster_arn": cluster_arn,
        "runner_dbt_task_definition_arn": task_definitions["dbt"],
        "runner_normalise_task_definition_arn": task_definitions["normalise"],
        "runner_container_name": CONTAINER,
        "subnet_ids_json": json.dumps(subnets),
        "runner_security_group_id": security_group,
        "redshift_workgroup": WORKGROUP,
        "redshift_database": DATABASE,
        "sns_topic_arn": topic_arn,
        "kms_key_arn": kms_key_arn,
        "deliveries_table": table,
    }
    stack.state_machine_arn = sfn.create_state_machine(
        name=f"{name}-pipeline", definition=render_definition(stack.values), roleArn=role, type="STANDARD"
    )["stateMachineArn"]
    return stack


def _tiny_zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("placeholder.py", "# simple Lambda mode never runs this\n")
    return buf.getvalue()


def wait_for_runner_task(
    stack: Stack, step: str, *, seen: set[str], execution_arn: str, timeout: float = 60.0
) -> dict[str, Any]:
    """The next runner task of ``step`` that the execution started (described, with its overrides)."""
    ecs, sfn = stack.client("ecs"), stack.client("stepfunctions")
    family = f"dpc-runner-{step}-{ENV}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        arns = ecs.list_tasks(cluster=stack.cluster_arn, family=family).get("taskArns", [])
        new = [a for a in arns if a not in seen]
        if new:
            seen.add(new[0])
            return ecs.describe_tasks(cluster=stack.cluster_arn, tasks=[new[0]])["tasks"][0]
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            history = execution_history(sfn, execution_arn)
            raise AssertionError(
                f"the execution ended ({described['status']}) before starting a {family} task: "
                f"{states_entered(history)} {described.get('error')} {described.get('cause')}"
            )
        time.sleep(0.2)
    raise TimeoutError(f"no {family} task started within {timeout:.0f}s")


def task_token(task: dict[str, Any]) -> str:
    """The TASK_TOKEN the state machine passed in the task's container overrides."""
    for override in task["overrides"]["containerOverrides"]:
        for variable in override.get("environment", []):
            if variable["name"] == "TASK_TOKEN":
                return str(variable["value"])
    raise AssertionError(f"no TASK_TOKEN in the overrides of {task['taskArn']}")


def wait_for_state(sfn: Any, execution_arn: str, state: str, *, timeout: float = 60.0) -> list[dict[str, Any]]:
    """The history once ``state`` has been entered."""
    deadline = time.monotonic() + timeout
    while True:
        history = execution_history(sfn, execution_arn)
        if any(e.get("stateEnteredEventDetails", {}).get("name") == state for e in history):
            return history
        if time.monotonic() > deadline:
            raise TimeoutError(f"state {state} not entered within {timeout:.0f}s")
        time.sleep(0.2)


def states_entered(history: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]


def scheduled_payloads(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The event every Lambda state was invoked with, in order (``LambdaFunctionScheduled`` events: the
    definition names the functions' ARNs as resources, so the Lambda receives the state's Parameters)."""
    return [
        json.loads(e["lambdaFunctionScheduledEventDetails"]["input"])
        for e in events_of_type(history, "LambdaFunctionScheduled")
    ]


def import_handler(module: str) -> Any:
    """A handler module as the Lambda runtime imports it: top-level, from orchestration/lambdas."""
    import importlib

    if str(LAMBDAS_DIR) not in sys.path:
        sys.path.insert(0, str(LAMBDAS_DIR))
    return importlib.import_module(module)


def upload_delivery(stack: Stack, lake: Path, facility_code: str, yyyymm: int) -> list[str]:
    """Copy a generated delivery (raw/yyyymm=…/facility=…/) from a local lake into the data bucket."""
    s3 = stack.client("s3")
    prefix = f"raw/yyyymm={yyyymm}/facility={facility_code}/"
    keys = []
    # as delivered: with the K file the local normaliser deleted after reading it
    for name, data in sorted(delivered_files(lake.parent, lake / prefix).items()):
        s3.put_object(Bucket=stack.bucket, Key=prefix + name, Body=data)
        keys.append(prefix + name)
    return keys


def to_field(value: Any) -> dict[str, Any]:
    """A Python value as a Redshift Data API result field."""
    if value is None:
        return {"isNull": True}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"longValue": value}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": str(value)}


class DataApi:
    """botocore's ``Stubber`` on a real ``redshift-data`` client, for the calls moto 5.2 cannot answer
    (``BatchExecuteStatement``; results of real queries). Every request is validated against the service
    model by botocore; the requests made are recorded (``calls``) so tests assert on the SQL text sent."""

    def __init__(self, server: MotoServer) -> None:
        from botocore.stub import Stubber

        self.client = server.client("redshift-data")
        self.stubber = Stubber(self.client)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.client.meta.events.register("before-parameter-build.redshift-data.*", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, json.loads(json.dumps(params, default=str))))

    def query(self, rows: list[tuple[Any, ...]], *, statement_id: str) -> DataApi:
        """Expect one short query (ExecuteStatement → DescribeStatement FINISHED → GetStatementResult)."""
        self.stubber.add_response(
            "execute_statement", {"Id": statement_id, "Database": DATABASE, "WorkgroupName": WORKGROUP}
        )
        self.stubber.add_response(
            "describe_statement",
            {"Id": statement_id, "Status": "FINISHED", "HasResultSet": True, "ResultRows": len(rows)},
        )
        self.stubber.add_response(
            "get_statement_result", {"Records": [[to_field(v) for v in r] for r in rows], "TotalNumRows": len(rows)}
        )
        return self

    def batch(self, *, statement_id: str) -> DataApi:
        """Expect one BatchExecuteStatement, answered with ``statement_id``."""
        self.stubber.add_response(
            "batch_execute_statement", {"Id": statement_id, "Database": DATABASE, "WorkgroupName": WORKGROUP}
        )
        return self

    def __enter__(self) -> Any:
        self.stubber.activate()
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.stubber.deactivate()
        if exc[0] is None:
            self.stubber.assert_no_pending_responses()

    def sent(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


def moto_statement(server: MotoServer, sql: str) -> str:
    """A statement id the moto server knows (so the state machine's DescribeStatement finds it): moto cannot run
    BatchExecuteStatement, so the stubbed batch answers with the id of a statement submitted here."""
    rsd = server.client("redshift-data")
    return str(rsd.execute_statement(WorkgroupName=WORKGROUP, Database=DATABASE, Sql=sql)["Id"])


# --- tests of the workarounds themselves ----------------------------------------------------------------------

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("orchestration")]


_SERVER: MotoServer | None = None


@pytest.fixture(scope="session")
def orchestration_server(request: pytest.FixtureRequest) -> MotoServer:
    """One server per test session (per xdist worker: every orchestration test is in one xdist group), shared by
    every module that imports this fixture (each import is its own fixture definition, hence the module-level
    server), stopped when the session ends. Tests share it without resetting it: each names its own resources."""
    global _SERVER
    if _SERVER is None or _SERVER.process.poll() is not None:
        stack = contextlib.ExitStack()
        _SERVER = stack.enter_context(orchestration_moto())
        request.config.add_cleanup(stack.close)
    return _SERVER


def test_ecs_run_task_state_reaches_ecs_with_its_overrides(orchestration_server: MotoServer) -> None:
    """Workaround 1 (moto_support's): a runTask.waitForTaskToken state starts a task whose overrides carry the token."""
    stack = create_stack(orchestration_server, name="wk-ecs")
    sfn = stack.client("stepfunctions")
    definition = {
        "StartAt": "Run",
        "States": {
            "Run": {
                "Type": "Task",
                "Resource": "arn:aws:states:::ecs:runTask.waitForTaskToken",
                "TimeoutSeconds": 60,
                "Parameters": {
                    "Cluster": stack.cluster_arn,
                    "TaskDefinition": stack.task_definitions["dbt"],
                    "LaunchType": "FARGATE",
                    "NetworkConfiguration": {
                        "AwsvpcConfiguration": {
                            "Subnets": stack.subnets,
                            "SecurityGroups": [stack.security_group],
                            "AssignPublicIp": "ENABLED",
                        }
                    },
                    "Overrides": {
                        "ContainerOverrides": [
                            {
                                "Name": CONTAINER,
                                "Environment": [
                                    {"Name": "TASK_TOKEN", "Value.$": "$$.Task.Token"},
                                    {"Name": "STEP", "Value": "dbt"},
                                ],
                            }
                        ]
                    },
                },
                "End": True,
            }
        },
    }
    arn = sfn.create_state_machine(
        name="wk-ecs", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/x"
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    task = wait_for_runner_task(stack, "dbt", seen=set(), execution_arn=execution)
    [override] = task["overrides"]["containerOverrides"]
    env = {v["name"]: v["value"] for v in override["environment"]}
    assert override["name"] == CONTAINER and env["STEP"] == "dbt" and env["TASK_TOKEN"]
    sfn.send_task_success(taskToken=env["TASK_TOKEN"], output=json.dumps({"answered": True}))
    described = wait_for_execution(sfn, execution, timeout=60)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"answered": True}


def test_redshiftdata_sdk_integration_and_statement_completion(orchestration_server: MotoServer) -> None:
    """Workarounds 3 and 4: the aws-sdk state reaches the Data API; a statement finishes on its 2nd describe,
    a cancelled one stays ABORTED."""
    rsd, sfn = orchestration_server.client("redshift-data"), orchestration_server.client("stepfunctions")
    running = rsd.execute_statement(WorkgroupName=WORKGROUP, Database=DATABASE, Sql="select 1")["Id"]
    cancelled = rsd.execute_statement(WorkgroupName=WORKGROUP, Database=DATABASE, Sql="select 2")["Id"]
    rsd.cancel_statement(Id=cancelled)
    definition = {
        "StartAt": "D1",
        "States": {
            "D1": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:redshiftdata:describeStatement",
                "Parameters": {"Id": running},
                "ResultSelector": {"s.$": "$.Status"},
                "ResultPath": "$.first",
                "Next": "D2",
            },
            "D2": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:redshiftdata:describeStatement",
                "Parameters": {"Id": running},
                "ResultSelector": {"s.$": "$.Status"},
                "ResultPath": "$.second",
                "Next": "D3",
            },
            "D3": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:redshiftdata:describeStatement",
                "Parameters": {"Id": cancelled},
                "ResultSelector": {"s.$": "$.Status"},
                "ResultPath": "$.cancelled",
                "End": True,
            },
        },
    }
    arn = sfn.create_state_machine(
        name="wk-rsd", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/x"
    )["stateMachineArn"]
    described = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"], timeout=60)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {
        "first": {"s": "STARTED"},
        "second": {"s": "FINISHED"},
        "cancelled": {"s": "ABORTED"},
    }


def test_send_task_failure_keeps_its_cause(orchestration_server: MotoServer) -> None:
    """Workaround 2 (moto_support's): the cause of SendTaskFailure reaches the execution."""
    from tests.python.moto_support import receive_task_token, sqs_callback_state_machine

    sqs, sfn = orchestration_server.client("sqs"), orchestration_server.client("stepfunctions")
    queue_url = sqs.create_queue(QueueName="wk-failure-cause")["QueueUrl"]
    arn = sqs_callback_state_machine(sfn, name="wk-failure-cause", queue_url=queue_url, timeout_seconds=60)
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    token = receive_task_token(sqs, queue_url)["TaskToken"]
    sfn.send_task_failure(taskToken=token, error="DbtTestFailure", cause="test.unique_x failed")
    described = wait_for_execution(sfn, execution, timeout=60)
    assert (described["error"], described["cause"]) == ("DbtTestFailure", "test.unique_x failed")
