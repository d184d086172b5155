mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name_prefix                     = "dpc-learning"
  environment                     = "dev"
  kms_key_arn                     = "arn:aws:kms:ap-northeast-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  data_bucket_arn                 = "arn:aws:s3:::dpc-learning-data-dev"
  artifacts_bucket_arn            = "arn:aws:s3:::dpc-learning-artifacts-dev"
  pseudonymisation_key_secret_arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:dpc-learning/dev/pseudonymisation-key-AbCdEf"
  link_key_arn                    = "arn:aws:kms:ap-northeast-1:123456789012:key/00000000-0000-0000-0000-00000000beef"
  slack_webhook_secret_arn        = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:dpc-learning/dev/slack-webhook-AbCdEf"
  redshift_workgroup_arn          = "arn:aws:redshift-serverless:ap-northeast-1:123456789012:workgroup/11111111-2222-3333-4444-555555555555"
  learners = {
    alice = []
    bob   = ["arn:aws:iam::123456789012:role/AWSReservedSSO_learner-bob_0123456789abcdef"]
  }
}

run "roles_and_least_privilege" {
  command = apply

  assert {
    condition = toset([aws_iam_role.lambda["data_api"].name, aws_iam_role.redshift_copy.name, aws_iam_role.stepfunctions.name, aws_iam_role.quicksight.name,
    aws_iam_role.runner.name]) == toset(["role-lambda-dpc", "role-redshift-copy", "role-stepfunctions-dpc", "role-quicksight-dpc", "role-dbt-runner"])
    error_message = "The design's role names are kept (role-lambda-dpc for the Data API Lambdas, role-dbt-runner for the dbt task)."
  }

  # A role per Lambda that needs different rights; every Lambda of the pipeline module has one.
  assert {
    condition = (length(aws_iam_role.lambda) == 6 && toset(keys(output.lambda_role_arns)) == toset(["dispatch", "validate-manifest", "load-raw",
      "record-partitions", "data-quality", "publish", "export", "notify", "ecs-stopped-guard"]) &&
    length(distinct([for r in aws_iam_role.lambda : r.name])) == 6)
    error_message = "Nine Lambdas on six roles, one per set of rights."
  }

  # Only the normalise task's role reads raw/ object contents: every other s3:GetObject under raw/ in any role is
  # on manifest.json (dispatch, validate-manifest), and no role but normalise mentions raw/ at all otherwise.
  assert {
    condition = alltrue([for p in concat([for k, r in aws_iam_role_policy.lambda : r.policy], [aws_iam_role_policy.runner.policy, aws_iam_role_policy.redshift_copy.policy,
      aws_iam_role_policy.stepfunctions.policy, aws_iam_role_policy.quicksight.policy, aws_iam_role_policy.ecs_execution.policy, aws_iam_role_policy.scheduler.policy],
      [for k, r in aws_iam_role_policy.learner : r.policy]) :
      alltrue([for r in flatten([for s in jsondecode(p).Statement : s.Resource]) :
    !strcontains(r, "/raw/") || endswith(r, "/raw/*/manifest.json")])])
    error_message = "Only role-normalise-dpc may read delivered files under raw/; the others read manifests at most."
  }
  assert {
    condition = (contains(one([for s in jsondecode(aws_iam_role_policy.normalise.policy).Statement : s.Resource if s.Sid == "NormaliseReadsRaw"]), "arn:aws:s3:::dpc-learning-data-dev/raw/*") &&
      [for s in jsondecode(aws_iam_role_policy.lambda["validate"].policy).Statement : s.Resource if s.Sid == "ReadManifests"] == [["arn:aws:s3:::dpc-learning-data-dev/raw/*/manifest.json"]] &&
    [for s in jsondecode(aws_iam_role_policy.lambda["dispatch"].policy).Statement : s.Resource if s.Sid == "ReadManifests"] == [["arn:aws:s3:::dpc-learning-data-dev/raw/*/manifest.json"]])
    error_message = "normalise reads raw/*; dispatch and validate-manifest read raw/*/manifest.json only."
  }

  # Each Lambda role has only what its handler calls.
  assert {
    condition = alltrue([for k, want in {
      data_api   = ["redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement", "redshift-serverless:GetCredentials", "redshift-data:DescribeStatement", "redshift-data:GetStatementResult", "redshift-data:CancelStatement", "redshift-data:ListStatements"]
      dispatch   = ["s3:ListBucket", "s3:GetObject", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "states:StartExecution", "states:DescribeExecution"]
      validate   = ["s3:ListBucket", "s3:GetObject"]
      partitions = ["glue:GetTable", "glue:GetPartition", "glue:CreatePartition", "glue:UpdatePartition"]
      notify     = ["sns:Publish", "secretsmanager:GetSecretValue", "kms:GenerateDataKey"]
      guard      = ["states:SendTaskFailure"]
      } : toset(flatten([for s in jsondecode(aws_iam_role_policy.lambda[k].policy).Statement : s.Action if !contains(["Logs", "XRay", "DecryptWithPlatformKey", "DeadLetterQueue", "DeadLetterQueueKey"], s.Sid)])) == toset(want)
    ])
    error_message = "A Lambda role holds an action its handler does not call (or lacks one it calls)."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.lambda["dispatch"].policy).Statement : s.Resource if s.Sid == "DispatchStartsExecutions"]) == "arn:aws:states:ap-northeast-1:123456789012:stateMachine:dpc-learning-dev-pipeline"
    error_message = "StartExecution must be scoped to the pipeline state machine."
  }
  assert {
    condition = (one([for s in jsondecode(aws_iam_role_policy.lambda["notify"].policy).Statement : s.Resource if s.Sid == "SlackWebhook"]) == var.slack_webhook_secret_arn &&
    length([for k, r in aws_iam_role_policy.lambda : k if contains(flatten([for s in jsondecode(r.policy).Statement : s.Action]), "secretsmanager:GetSecretValue")]) == 1)
    error_message = "Only the notify Lambda reads a secret, and only the Slack webhook."
  }

  # role-redshift-copy: stage read, processed write, nothing under raw/.
  assert {
    condition = (one([for s in jsondecode(aws_iam_role_policy.redshift_copy.policy).Statement : s.Resource if s.Sid == "ReadStage"]) == ["arn:aws:s3:::dpc-learning-data-dev/stage/*"] &&
    one([for s in jsondecode(aws_iam_role_policy.redshift_copy.policy).Statement : s.Resource if s.Sid == "WriteProcessed"]) == ["arn:aws:s3:::dpc-learning-data-dev/processed/*"])
    error_message = "role-redshift-copy reads stage/ and writes processed/ only."
  }

  # role-stepfunctions-dpc: Lambda invoke, ECS run/stop + PassRole, DescribeStatement, SNS, Logs.
  assert {
    condition = alltrue([for a in ["lambda:InvokeFunction", "ecs:RunTask", "ecs:StopTask", "iam:PassRole", "redshift-data:DescribeStatement", "sns:Publish", "logs:CreateLogDelivery"] :
    contains(flatten([for s in jsondecode(aws_iam_role_policy.stepfunctions.policy).Statement : s.Action]), a)])
    error_message = "role-stepfunctions-dpc lacks an action."
  }
  assert {
    condition = (one([for s in jsondecode(aws_iam_role_policy.stepfunctions.policy).Statement : s.Condition.StringEquals["iam:PassedToService"] if s.Sid == "PassRunnerRoles"]) == "ecs-tasks.amazonaws.com" &&
      toset(one([for s in jsondecode(aws_iam_role_policy.stepfunctions.policy).Statement : s.Resource if s.Sid == "PassRunnerRoles"])) ==
    toset([aws_iam_role.runner.arn, aws_iam_role.normalise.arn, aws_iam_role.ecs_execution.arn]))
    error_message = "PassRole: the two task roles and the execution role, to ECS tasks only."
  }
  # Data API reads are conditioned: Step Functions may describe only statements the Data API Lambdas' role ran.
  assert {
    condition = (one([for s in jsondecode(aws_iam_role_policy.stepfunctions.policy).Statement : s.Condition.StringLike["redshift-data:statement-owner-iam-userid"] if s.Sid == "PollDataApi"]) == "${aws_iam_role.lambda["data_api"].unique_id}:*" &&
      alltrue([for p in concat([for k, r in aws_iam_role_policy.lambda : r.policy], [aws_iam_role_policy.runner.policy, aws_iam_role_policy.stepfunctions.policy], [for k, r in aws_iam_role_policy.learner : r.policy]) :
        alltrue([for s in jsondecode(p).Statement : can(s.Condition) if length(setintersection(toset(flatten([s.Action])), toset(["redshift-data:DescribeStatement", "redshift-data:GetStatementResult"]))) > 0])
    ]))
    error_message = "Every Data API DescribeStatement/GetStatementResult grant carries a statement-owner condition."
  }
  assert {
    condition = alltrue([for p in concat([for k, r in aws_iam_role_policy.lambda : r.policy], [aws_iam_role_policy.runner.policy], [for k, r in aws_iam_role_policy.learner : r.policy]) :
      alltrue([for s in jsondecode(p).Statement : s.Condition.StringEquals["redshift-data:statement-owner-iam-userid"] == "$${aws:userid}"
    if s.Sid == "DataApiOwnStatements"])])
    error_message = "Lambdas, the dbt task and learners read only the statements they ran themselves."
  }

  # role-stepfunctions-dpc: the build lock (putItem/deleteItem states) on the deliveries table only, and the
  # platform key for the KMS-encrypted topic (SNS publish) and table.
  assert {
    condition = (toset(one([for s in jsondecode(aws_iam_role_policy.stepfunctions.policy).Statement : s.Action if s.Sid == "BuildLock"])) == toset(["dynamodb:PutItem", "dynamodb:DeleteItem"]) &&
    one([for s in jsondecode(aws_iam_role_policy.stepfunctions.policy).Statement : s.Resource if s.Sid == "BuildLock"]) == "arn:aws:dynamodb:ap-northeast-1:123456789012:table/dpc-learning-dev-deliveries")
    error_message = "role-stepfunctions-dpc needs PutItem/DeleteItem on dpc-learning-dev-deliveries (build lock), nothing wider."
  }
  assert {
    condition = alltrue([for a in ["kms:GenerateDataKey", "kms:Decrypt"] :
      contains(flatten([for s in jsondecode(aws_iam_role_policy.stepfunctions.policy).Statement : s.Action if s.Resource == var.kms_key_arn]), a)
    ])
    error_message = "role-stepfunctions-dpc needs kms:GenerateDataKey and kms:Decrypt on the platform key (encrypted SNS topic)."
  }

  # The two task roles: normalise has the keys and raw/, dbt has neither.
  assert {
    condition = (aws_iam_role.normalise.name == "role-normalise-dpc" &&
      one([for s in jsondecode(aws_iam_role_policy.normalise.policy).Statement : s.Resource if s.Sid == "PseudonymisationKey"]) == var.pseudonymisation_key_secret_arn &&
      one([for s in jsondecode(aws_iam_role_policy.normalise.policy).Statement : s.Action if s.Sid == "LinkKeyMac"]) == ["kms:GenerateMac"] &&
      one([for s in jsondecode(aws_iam_role_policy.normalise.policy).Statement : s.Resource if s.Sid == "LinkKeyMac"]) == var.link_key_arn &&
    alltrue([for p in [aws_iam_role_policy.normalise.policy, aws_iam_role_policy.runner.policy] : contains(flatten([for s in jsondecode(p).Statement : s.Action]), "states:SendTaskSuccess")]))
    error_message = "role-normalise-dpc reads the pseudonymisation key and MACs with the link key; both task roles answer task tokens."
  }
  assert {
    condition = (length([for s in jsondecode(aws_iam_role_policy.runner.policy).Statement : s if anytrue([for a in flatten([s.Action]) : startswith(a, "secretsmanager:") || a == "kms:GenerateMac"])]) == 0 &&
      !contains(flatten([for s in jsondecode(aws_iam_role_policy.runner.policy).Statement : s.Resource]), var.pseudonymisation_key_secret_arn) &&
    !contains(flatten([for s in jsondecode(aws_iam_role_policy.runner.policy).Statement : s.Resource]), var.link_key_arn))
    error_message = "role-dbt-runner (the dbt task) must have no Secrets Manager access and no use of the link key."
  }
  # Only the normalise role may compute link keys or read the pseudonymisation key, across every role.
  assert {
    condition = alltrue([for p in concat([for k, r in aws_iam_role_policy.lambda : r.policy], [aws_iam_role_policy.runner.policy, aws_iam_role_policy.redshift_copy.policy,
      aws_iam_role_policy.stepfunctions.policy, aws_iam_role_policy.quicksight.policy, aws_iam_role_policy.ecs_execution.policy, aws_iam_role_policy.scheduler.policy],
      [for k, r in aws_iam_role_policy.learner : r.policy]) :
      !contains(flatten([for s in jsondecode(p).Statement : s.Action]), "kms:GenerateMac") &&
    !contains(flatten([for s in jsondecode(p).Statement : s.Resource]), var.pseudonymisation_key_secret_arn)])
    error_message = "Only role-normalise-dpc may compute link keys or read the pseudonymisation key."
  }

  # Learners: one role each, their own Redshift user, their own Athena workgroup and results prefix.
  assert {
    condition = (toset([for r in aws_iam_role.learner : r.name]) == toset(["role-learner-dpc-alice", "role-learner-dpc-bob"]) &&
      output.learner_redshift_users == { alice = "IAMR:role-learner-dpc-alice", bob = "IAMR:role-learner-dpc-bob" } &&
      output.learner_sandbox_sql["bob"] == "CALL dq.create_learner_sandbox('bob', 'IAMR:role-learner-dpc-bob');" &&
      tolist(one(jsondecode(aws_iam_role.learner["bob"].assume_role_policy).Statement).Principal.AWS) == var.learners["bob"] &&
    tolist(one(jsondecode(aws_iam_role.learner["alice"].assume_role_policy).Statement).Principal.AWS) == tolist(["arn:aws:iam::123456789012:root"]))
    error_message = "Each learner has their own role, trusted to their own principals, and their own Redshift user."
  }
  assert {
    condition = alltrue([for l, r in aws_iam_role_policy.learner :
      one([for s in jsondecode(r.policy).Statement : s.Resource if s.Sid == "OwnAthenaWorkgroup"]) == "arn:aws:athena:ap-northeast-1:123456789012:workgroup/dpc-learning-dev-learner-${l}" &&
      one([for s in jsondecode(r.policy).Statement : s.Resource if s.Sid == "OwnAthenaResults"]) == ["arn:aws:s3:::dpc-learning-artifacts-dev/athena-results/learners/${l}/*"] &&
      length([for x in flatten([for s in jsondecode(r.policy).Statement : s.Resource]) : x if strcontains(x, ":workgroup/dpc-learning-dev") && x != "arn:aws:athena:ap-northeast-1:123456789012:workgroup/dpc-learning-dev-learner-${l}"]) == 0 &&
    length([for x in flatten([for s in jsondecode(r.policy).Statement : s.Resource]) : x if strcontains(x, "athena-results/") && !strcontains(x, "athena-results/learners/${l}/")]) == 0])
    error_message = "A learner uses only their own Athena workgroup and results prefix (not the pipeline's, not another learner's)."
  }
  assert {
    condition = alltrue([for l, r in aws_iam_role_policy.learner :
      length([for x in flatten([for s in jsondecode(r.policy).Statement : s.Resource]) : x if strcontains(x, "_internal") || strcontains(x, "_raw") || strcontains(x, "_mart_build") || strcontains(x, "/raw/") || strcontains(x, "/archive/")]) == 0 &&
      toset([for x in one([for s in jsondecode(r.policy).Statement : s.Resource if s.Sid == "GlueReadPseudonymisedLayers"]) : x if strcontains(x, ":database/")]) ==
    toset([for layer in ["stage", "mart", "ref", "dq"] : "arn:aws:glue:ap-northeast-1:123456789012:database/dpc_dev_${layer}"])])
    error_message = "Learners read Glue/S3 of stage, mart, ref and dq only: never internal, mart_build or raw."
  }
  assert {
    condition = alltrue([for l, r in aws_iam_role_policy.learner : (
      one([for s in jsondecode(r.policy).Statement : s.Resource if s.Sid == "ReadDocsSite"]) == ["arn:aws:s3:::dpc-learning-artifacts-dev/docs/*"] &&
    contains(flatten([for s in jsondecode(r.policy).Statement : s.Action if s.Resource == var.kms_key_arn]), "kms:Decrypt"))])
    error_message = "Learners need s3:GetObject on <artifacts>/docs/* and kms:Decrypt on the platform key."
  }

  # The pipeline's Athena results are its own prefix.
  assert {
    condition = alltrue([for p in [aws_iam_role_policy.runner.policy, aws_iam_role_policy.quicksight.policy] :
    one([for s in jsondecode(p).Statement : s.Resource if s.Sid == "AthenaResults"]) == ["arn:aws:s3:::dpc-learning-artifacts-dev/athena-results/pipeline/*"]])
    error_message = "dbt and QuickSight write Athena results under athena-results/pipeline/ only."
  }

  # QuickSight never touches raw/.
  assert {
    condition     = length([for r in flatten([for s in jsondecode(aws_iam_role_policy.quicksight.policy).Statement : s.Resource]) : r if strcontains(r, "/raw/") || strcontains(r, "/archive/")]) == 0
    error_message = "QuickSight must not read raw/ or archive/."
  }

  # Every role that touches encrypted data may use the KMS key; every Lambda decrypts its environment with it.
  assert {
    condition = alltrue([for p in concat([for k, r in aws_iam_role_policy.lambda : r.policy], [aws_iam_role_policy.redshift_copy.policy, aws_iam_role_policy.stepfunctions.policy,
      aws_iam_role_policy.runner.policy, aws_iam_role_policy.normalise.policy, aws_iam_role_policy.quicksight.policy], [for k, r in aws_iam_role_policy.learner : r.policy]) :
    contains(flatten([for s in jsondecode(p).Statement : s.Resource]), var.kms_key_arn)])
    error_message = "Every data role needs the KMS key."
  }

  assert {
    condition = (one(jsondecode(aws_iam_role.scheduler.assume_role_policy).Statement).Principal.Service == "scheduler.amazonaws.com" &&
    one([for s in jsondecode(aws_iam_role_policy.scheduler.policy).Statement : s.Resource if s.Sid == "InvokeDispatch"])[0] == "arn:aws:lambda:ap-northeast-1:123456789012:function:dpc-dev-dispatch")
    error_message = "The Scheduler role invokes the dispatch Lambda only."
  }
}

run "quicksight_redshift_optional" {
  command = plan

  variables {
    enable_quicksight_redshift = true
  }

  assert {
    condition     = contains([for s in jsondecode(aws_iam_role_policy.quicksight.policy).Statement : s.Sid], "RedshiftRead")
    error_message = "Redshift read must be added when enabled."
  }
}

run "arns_from_name_prefix" {
  command = plan

  variables {
    name_prefix = "acme-dpc"
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.lambda["dispatch"].policy).Statement : s.Resource if s.Sid == "DispatchStartsExecutions"]) == "arn:aws:states:ap-northeast-1:123456789012:stateMachine:acme-dpc-dev-pipeline"
    error_message = "The roles are scoped to the resources named from name_prefix."
  }
}
