mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name_prefix           = "dpc-learning"
  environment           = "dev"
  vpc_id                = "vpc-0123456789abcdef0"
  vpc_cidr              = "172.31.0.0/16"
  subnet_ids            = ["subnet-0a", "subnet-0c", "subnet-0d"]
  kms_key_arn           = "arn:aws:kms:ap-northeast-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  data_bucket_name      = "dpc-learning-data-dev"
  artifacts_bucket_name = "dpc-learning-artifacts-dev"
  role_arns = {
    lambdas = {
      dispatch            = "arn:aws:iam::123456789012:role/role-lambda-dispatch-dpc"
      "validate-manifest" = "arn:aws:iam::123456789012:role/role-lambda-validate-dpc"
      "load-raw"          = "arn:aws:iam::123456789012:role/role-lambda-dpc"
      "record-partitions" = "arn:aws:iam::123456789012:role/role-lambda-partitions-dpc"
      "data-quality"      = "arn:aws:iam::123456789012:role/role-lambda-dpc"
      publish             = "arn:aws:iam::123456789012:role/role-lambda-dpc"
      export              = "arn:aws:iam::123456789012:role/role-lambda-dpc"
      notify              = "arn:aws:iam::123456789012:role/role-lambda-notify-dpc"
      "ecs-stopped-guard" = "arn:aws:iam::123456789012:role/role-lambda-guard-dpc"
    }
    stepfunctions = "arn:aws:iam::123456789012:role/role-stepfunctions-dpc"
    runner        = "arn:aws:iam::123456789012:role/role-dbt-runner"
    normalise     = "arn:aws:iam::123456789012:role/role-normalise-dpc"
    ecs_execution = "arn:aws:iam::123456789012:role/role-ecs-execution-dpc"
    scheduler     = "arn:aws:iam::123456789012:role/role-scheduler-dpc"
  }
  pseudonymisation_key_secret_arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:dpc-learning/dev/pseudonymisation-key-AbCdEf"
  link_key_arn                    = "arn:aws:kms:ap-northeast-1:123456789012:key/00000000-0000-0000-0000-00000000beef"
  slack_webhook_secret_arn        = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:dpc-learning/dev/slack-webhook-AbCdEf"
  redshift_workgroup_name         = "dpc-learning-dev"
  athena_workgroup_name           = "dpc-learning-dev"
  lambda_source_dir               = "tests/fixtures/lambdas"
  dpc_package_dir                 = "tests/fixtures/lambdas"
  build_lambda_package            = false
}

run "pipeline" {
  command = apply

  assert {
    condition = (toset([for f in aws_lambda_function.this : f.function_name]) == toset([for s in ["dispatch", "validate-manifest", "load-raw", "record-partitions", "data-quality", "publish", "export", "notify", "ecs-stopped-guard"] : "dpc-dev-${s}"]) &&
    alltrue([for f in aws_lambda_function.this : f.runtime == "python3.11" && length(f.vpc_config) == 0]))
    error_message = "Eight python3.11 Lambdas, none in a VPC (docs/decisions/0013)."
  }
  assert {
    condition     = aws_lambda_function.this["validate-manifest"].handler == "validate_manifest.handler" && aws_lambda_function.this["ecs-stopped-guard"].handler == "ecs_stopped_guard.handler"
    error_message = "Handlers are <module>.handler."
  }
  assert {
    condition = (aws_sfn_state_machine.pipeline.name == "dpc-learning-dev-pipeline" && aws_sfn_state_machine.pipeline.type == "STANDARD" &&
      aws_sfn_state_machine.pipeline.logging_configuration[0].level == "ALL" &&
      aws_sfn_state_machine.pipeline.logging_configuration[0].include_execution_data == false &&
    startswith(aws_sfn_state_machine.pipeline.logging_configuration[0].log_destination, aws_cloudwatch_log_group.statemachine.arn))
    error_message = "Standard state machine logging ALL to CloudWatch, without execution data."
  }
  assert {
    condition = (aws_scheduler_schedule.dispatch.schedule_expression == "cron(0 6 * * ? *)" &&
      aws_scheduler_schedule.dispatch.schedule_expression_timezone == "Asia/Tokyo" &&
    aws_scheduler_schedule.dispatch.target[0].arn == aws_lambda_function.this["dispatch"].arn)
    error_message = "Daily 06:00 Asia/Tokyo schedule invoking dispatch."
  }
  assert {
    condition     = length(aws_cloudwatch_event_rule.manifest_uploaded) == 0
    error_message = "The S3 manifest trigger is off by default."
  }
  assert {
    condition = (jsondecode(aws_cloudwatch_event_rule.runner_stopped.event_pattern).detail.lastStatus == ["STOPPED"] &&
    aws_cloudwatch_event_target.runner_stopped.arn == aws_lambda_function.this["ecs-stopped-guard"].arn)
    error_message = "STOPPED runner tasks go to the guard Lambda."
  }
  assert {
    condition = alltrue([for s in ["dbt", "normalise"] :
      aws_ecs_task_definition.runner[s].family == "dpc-runner-${s}-dev" &&
      jsondecode(aws_ecs_task_definition.runner[s].container_definitions)[0].name == "dpc-runner" &&
      jsondecode(aws_ecs_task_definition.runner[s].container_definitions)[0].readonlyRootFilesystem == true &&
      jsondecode(aws_ecs_task_definition.runner[s].container_definitions)[0].user == "1000:1000" &&
    contains(jsondecode(aws_ecs_task_definition.runner[s].container_definitions)[0].environment, { name = "STEP", value = s })])
    error_message = "Runner task definitions: read-only root, non-root user, STEP env."
  }
  # Each step starts with its own task role (the state machine runs each step's own task definition): only
  # normalise gets role-normalise-dpc (raw/, the keys) and the key's environment variables.
  assert {
    condition = (aws_ecs_task_definition.runner["normalise"].task_role_arn == var.role_arns.normalise &&
      aws_ecs_task_definition.runner["dbt"].task_role_arn == var.role_arns.runner &&
      length([for e in jsondecode(aws_ecs_task_definition.runner["dbt"].container_definitions)[0].environment : e if contains(["DPC_PSEUDONYMISATION_SECRET_ARN", "DPC_LINK_KMS_KEY_ID"], e.name)]) == 0 &&
      strcontains(aws_sfn_state_machine.pipeline.definition, "\"TaskDefinition\": \"${aws_ecs_task_definition.runner["normalise"].arn_without_revision}\"") &&
      strcontains(aws_sfn_state_machine.pipeline.definition, "\"TaskDefinition\": \"${aws_ecs_task_definition.runner["dbt"].arn_without_revision}\"") &&
    !strcontains(aws_sfn_state_machine.pipeline.definition, "TaskRoleArn"))
    error_message = "normalise and dbt run as their own task roles; the dbt task has no key settings."
  }
  # Each Lambda runs as its own role, and failed asynchronous invocations reach the encrypted dead-letter queue.
  assert {
    condition = (alltrue([for k, f in aws_lambda_function.this : f.role == var.role_arns.lambdas[k] && f.dead_letter_config[0].target_arn == aws_sqs_queue.lambda_dlq.arn]) &&
      aws_sqs_queue.lambda_dlq.name == "dpc-learning-dev-lambda-dlq" && aws_sqs_queue.lambda_dlq.kms_master_key_id == var.kms_key_arn &&
    contains(aws_cloudwatch_metric_alarm.lambda_dlq.alarm_actions, aws_sns_topic.notifications.arn))
    error_message = "Lambdas on their own roles, with a KMS-encrypted dead-letter queue that alarms."
  }
  assert {
    condition     = tonumber(aws_ecs_task_definition.runner["normalise"].memory) > tonumber(aws_ecs_task_definition.runner["dbt"].memory)
    error_message = "normalise is sized larger than dbt."
  }
  assert {
    condition     = aws_ecr_repository.runner.image_tag_mutability == "IMMUTABLE" && aws_ecr_repository.runner.image_scanning_configuration[0].scan_on_push
    error_message = "ECR: immutable tags and scan on push."
  }
  assert {
    condition     = aws_sns_topic.notifications.name == "dpc-learning-dev-notifications" && aws_sns_topic.notifications.kms_master_key_id == var.kms_key_arn
    error_message = "Notifications topic is KMS-encrypted."
  }
  assert {
    condition     = aws_dynamodb_table.deliveries.name == "dpc-learning-dev-deliveries" && aws_dynamodb_table.deliveries.hash_key == "delivery_id"
    error_message = "Delivery registry keyed by delivery_id."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.executions_failed.metric_name == "ExecutionsFailed" && contains(aws_cloudwatch_metric_alarm.executions_failed.alarm_actions, aws_sns_topic.notifications.arn)
    error_message = "Failed executions alarm to the topic."
  }
  assert {
    condition     = alltrue([for n in aws_budgets_budget.monthly.notification : contains(n.subscriber_sns_topic_arns, aws_sns_topic.notifications.arn)])
    error_message = "Budget alerts go to the topic."
  }
  assert {
    condition     = length([for r in [aws_vpc_security_group_egress_rule.runner_https, aws_vpc_security_group_egress_rule.runner_redshift] : r if r.ip_protocol == "-1"]) == 0
    error_message = "Runner egress is limited to HTTPS and Redshift."
  }
}

run "s3_trigger_and_schedule_overrides" {
  command = plan

  variables {
    enable_s3_manifest_trigger = true
    schedule_expression        = "cron(30 7 ? * MON-FRI *)"
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.manifest_uploaded) == 1 && aws_scheduler_schedule.dispatch.schedule_expression == "cron(30 7 ? * MON-FRI *)"
    error_message = "Optional S3 trigger and schedule expression variable."
  }
}

# The Lambda zip is built at apply by the project's one packager (scripts/package_lambdas.py): handlers at the
# root, only the dpc modules they import. The fixture handler imports nothing, so the zip holds it alone.
run "lambda_package_built_by_scripts_packager" {
  command = apply

  variables {
    build_lambda_package = true
    lambda_package_path  = ".terraform/dpc-lambdas-test.zip"
  }

  assert {
    condition     = terraform_data.lambda_package.id != "" && fileexists(".terraform/dpc-lambdas-test.zip")
    error_message = "terraform apply must build the Lambda zip with scripts/package_lambdas.py."
  }
  assert {
    condition     = aws_lambda_function.this["dispatch"].filename == ".terraform/dpc-lambdas-test.zip" && aws_lambda_function.this["dispatch"].source_code_hash == local.lambda_source_hash
    error_message = "Every function deploys the built zip, versioned by the source hash."
  }
}

run "names_from_name_prefix" {
  command = plan

  variables {
    name_prefix = "acme-dpc"
  }

  assert {
    condition = (aws_sfn_state_machine.pipeline.name == "acme-dpc-dev-pipeline" && aws_dynamodb_table.deliveries.name == "acme-dpc-dev-deliveries" &&
      aws_sns_topic.notifications.name == "acme-dpc-dev-notifications" && aws_ecs_cluster.this.name == "acme-dpc-dev" &&
    aws_budgets_budget.monthly.name == "acme-dpc-dev-monthly")
    error_message = "The pipeline's names follow name_prefix."
  }
}
