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
}

run "roles_and_least_privilege" {
  command = apply

  assert {
    condition = toset([aws_iam_role.lambda.name, aws_iam_role.redshift_copy.name, aws_iam_role.stepfunctions.name, aws_iam_role.quicksight.name,
    aws_iam_role.runner.name, aws_iam_role.learner.name]) == toset(["role-lambda-dpc", "role-redshift-copy", "role-stepfunctions-dpc", "role-quicksight-dpc", "role-dbt-runner", "role-learner-dpc"])
    error_message = "Role names must be the design's."
  }

  # role-lambda-dpc: dispatch starts executions, the guard fails tasks, notify publishes, lock table.
  assert {
    condition = alltrue([for a in ["states:StartExecution", "states:SendTaskFailure", "sns:Publish", "dynamodb:PutItem", "redshift-data:BatchExecuteStatement", "secretsmanager:GetSecretValue"] :
    contains(flatten([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s.Action]), a)])
    error_message = "role-lambda-dpc lacks an action its components need."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s.Resource if s.Sid == "DispatchStartsExecutions"]) == "arn:aws:states:ap-northeast-1:123456789012:stateMachine:dpc-learning-dev-pipeline"
    error_message = "StartExecution must be scoped to the pipeline state machine."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s.Resource if s.Sid == "SlackWebhook"]) == var.slack_webhook_secret_arn
    error_message = "The Lambdas read the Slack webhook secret only (never the pseudonymisation key)."
  }
  assert {
    condition     = !contains(flatten([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s.Resource]), var.pseudonymisation_key_secret_arn)
    error_message = "The Lambdas must not read the pseudonymisation key."
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
    condition     = one([for s in jsondecode(aws_iam_role_policy.stepfunctions.policy).Statement : s.Condition.StringEquals["iam:PassedToService"] if s.Sid == "PassRunnerRoles"]) == "ecs-tasks.amazonaws.com"
    error_message = "PassRole must be limited to ECS tasks."
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

  # role-learner-dpc opens the published docs site: docs/* of the artifacts bucket, decrypted with the platform key.
  assert {
    condition = (one([for s in jsondecode(aws_iam_role_policy.learner.policy).Statement : s.Resource if s.Sid == "ReadDocsSite"]) == ["arn:aws:s3:::dpc-learning-artifacts-dev/docs/*"] &&
      contains(one([for s in jsondecode(aws_iam_role_policy.learner.policy).Statement : s.Action if s.Sid == "ReadDocsSite"]), "s3:GetObject") &&
    contains(flatten([for s in jsondecode(aws_iam_role_policy.learner.policy).Statement : s.Action if s.Resource == var.kms_key_arn]), "kms:Decrypt"))
    error_message = "role-learner-dpc needs s3:GetObject on <artifacts>/docs/* and kms:Decrypt on the platform key."
  }

  # role-dbt-runner: raw read, stage write, the pseudonymisation key, task tokens.
  assert {
    condition = (one([for s in jsondecode(aws_iam_role_policy.runner.policy).Statement : s.Resource if s.Sid == "PseudonymisationKey"]) == var.pseudonymisation_key_secret_arn &&
    contains(flatten([for s in jsondecode(aws_iam_role_policy.runner.policy).Statement : s.Action]), "states:SendTaskSuccess"))
    error_message = "role-dbt-runner needs the pseudonymisation key and task-token calls."
  }

  # the link key: GenerateMac on that one key, for the runner alone (docs/pseudonymisation.md)
  assert {
    condition = (one([for s in jsondecode(aws_iam_role_policy.runner.policy).Statement : s.Action if s.Sid == "LinkKeyMac"]) == ["kms:GenerateMac"] &&
      one([for s in jsondecode(aws_iam_role_policy.runner.policy).Statement : s.Resource if s.Sid == "LinkKeyMac"]) == var.link_key_arn &&
    !contains(flatten([for s in jsondecode(aws_iam_role_policy.learner.policy).Statement : s.Action]), "kms:GenerateMac"))
    error_message = "Only role-dbt-runner may compute link keys (kms:GenerateMac on the link key)."
  }

  # role-learner-dpc and role-quicksight-dpc never touch raw/.
  assert {
    condition = alltrue([for p in [aws_iam_role_policy.learner.policy, aws_iam_role_policy.quicksight.policy] :
    length([for r in flatten([for s in jsondecode(p).Statement : s.Resource]) : r if strcontains(r, "/raw/") || strcontains(r, "/archive/")]) == 0])
    error_message = "Learners and QuickSight must not read raw/ or archive/."
  }

  # Every role that touches encrypted data may use the KMS key.
  assert {
    condition = alltrue([for p in [aws_iam_role_policy.lambda.policy, aws_iam_role_policy.redshift_copy.policy, aws_iam_role_policy.stepfunctions.policy,
      aws_iam_role_policy.runner.policy, aws_iam_role_policy.quicksight.policy, aws_iam_role_policy.learner.policy] :
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
    condition     = one([for s in jsondecode(aws_iam_role_policy.lambda.policy).Statement : s.Resource if s.Sid == "DispatchStartsExecutions"]) == "arn:aws:states:ap-northeast-1:123456789012:stateMachine:acme-dpc-dev-pipeline"
    error_message = "The roles are scoped to the resources named from name_prefix."
  }
}
