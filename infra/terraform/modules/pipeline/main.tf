# Pipeline: ECR + ECS runner (normalise and dbt), Lambdas from orchestration/lambdas, the delivery
# registry/lock table, the standard Step Functions state machine, schedules and event rules,
# the notifications topic, alarms and the cost budget.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  env        = var.environment
  name       = "${var.name_prefix}-${var.environment}"

  state_machine_name = "${local.name}-pipeline"
  # Built from the name: the Lambdas need it and the state machine needs the Lambdas.
  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.state_machine_name}"

  container_name = "dpc-runner"
  runner_steps   = ["dbt", "normalise"]

  # Function key => handler module in orchestration/lambdas (<module>.handler).
  lambdas = {
    dispatch          = "dispatch"
    validate-manifest = "validate_manifest"
    load-raw          = "load_raw"
    record-partitions = "record_partitions"
    data-quality      = "data_quality"
    publish           = "publish"
    export            = "export"
    notify            = "notify"
    ecs-stopped-guard = "ecs_stopped_guard"
  }

  lambda_package_path = coalesce(var.lambda_package_path, "${path.root}/.terraform/dpc-lambdas-${local.env}.zip")
  lambda_files        = sort(fileset(var.lambda_source_dir, "**/*.py"))
  dpc_files           = sort(fileset(var.dpc_package_dir, "**/*.py"))
  lambda_packager     = "${path.module}/../../../../scripts/package_lambdas.py"
  # Hash of the sources and the packager (not of the zip), so a plan knows the code changed before the zip is
  # built. It covers all of dpc, a superset of what the packager puts in the zip (it follows the handlers' imports).
  lambda_source_hash = base64sha256(join("\n", concat(
    ["packager:${filesha256(local.lambda_packager)}"],
    [for f in local.lambda_files : "lambdas/${f}:${filesha256("${var.lambda_source_dir}/${f}")}"],
    [for f in local.dpc_files : "dpc/${f}:${filesha256("${var.dpc_package_dir}/${f}")}"],
  )))

  common_environment = {
    DPC_ENV                  = local.env
    DATA_BUCKET              = var.data_bucket_name
    ARTIFACTS_BUCKET         = var.artifacts_bucket_name
    REDSHIFT_WORKGROUP       = var.redshift_workgroup_name
    REDSHIFT_DATABASE        = var.redshift_database
    ATHENA_WORKGROUP         = var.athena_workgroup_name
    GLUE_DATABASE_PREFIX     = "dpc_${local.env}"
    DELIVERIES_TABLE         = aws_dynamodb_table.deliveries.name
    SNS_TOPIC_ARN            = aws_sns_topic.notifications.arn
    STATE_MACHINE_ARN        = local.state_machine_arn
    SLACK_WEBHOOK_SECRET_ARN = var.slack_webhook_secret_arn
  }

  asl_path = coalesce(var.statemachine_definition_path, "${path.module}/../../../../orchestration/statemachine/pipeline.asl.json")
}

# ---------------------------------------------------------------------------------------------
# Notifications topic (KMS) with publishers: alarms, Budgets, the Lambdas and the state machine.
# ---------------------------------------------------------------------------------------------
resource "aws_sns_topic" "notifications" {
  name              = "${local.name}-notifications"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "notifications" {
  arn = aws_sns_topic.notifications.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountOwner"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"]
        Resource  = aws_sns_topic.notifications.arn
      },
      {
        Sid       = "AlarmsAndBudgets"
        Effect    = "Allow"
        Principal = { Service = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"] }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.notifications.arn
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.notifications.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.notification_emails)

  topic_arn = aws_sns_topic.notifications.arn
  protocol  = "email"
  endpoint  = each.value
}

# ---------------------------------------------------------------------------------------------
# Delivery registry and lock (docs/decisions/0016): one item per delivery, conditional writes lock it.
# ---------------------------------------------------------------------------------------------
resource "aws_dynamodb_table" "deliveries" {
  name                        = "${local.name}-deliveries"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "delivery_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "delivery_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# dpc-runner: ECR repository, ECS cluster, one task definition per step (docs/decisions/0014).
# ---------------------------------------------------------------------------------------------
resource "aws_ecr_repository" "runner" {
  name                 = "dpc-runner"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.ecr_force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "runner" {
  repository = aws_ecr_repository.runner.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the 20 most recent images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 20 }
      action       = { type = "expire" }
    }]
  })
}

resource "aws_ecs_cluster" "this" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_cloudwatch_log_group" "runner" {
  name              = "/ecs/dpc-runner-${local.env}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_ecs_task_definition" "runner" {
  for_each = toset(local.runner_steps)

  family                   = "dpc-runner-${each.value}-${local.env}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.runner_sizes[each.value].cpu)
  memory                   = tostring(var.runner_sizes[each.value].memory)
  execution_role_arn       = var.role_arns.ecs_execution
  # each step its own task role (docs/decisions/0017): only normalise may read raw/ and the keys
  task_role_arn = each.value == "normalise" ? var.role_arns.normalise : var.role_arns.runner

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  ephemeral_storage {
    size_in_gib = var.runner_ephemeral_storage_gib
  }

  # The root filesystem is read-only; everything the step writes goes to this volume.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = local.container_name
    image                  = "${aws_ecr_repository.runner.repository_url}:${var.runner_image_tag}"
    essential              = true
    readonlyRootFilesystem = true
    user                   = "1000:1000"
    privileged             = false
    command                = [each.value]
    environment = [for k, v in merge(local.common_environment, {
      STEP                            = each.value
      HOME                            = "/tmp"
      TMPDIR                          = "/tmp"
      DBT_TARGET_PATH                 = "/tmp/target"
      DBT_LOG_PATH                    = "/tmp/logs"
      DPC_PSEUDONYMISATION_SECRET_ARN = each.value == "normalise" ? var.pseudonymisation_key_secret_arn : ""
      DPC_LINK_KMS_KEY_ID             = each.value == "normalise" ? var.link_key_arn : ""
    }) : { name = k, value = v } if v != ""]
    mountPoints = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    linuxParameters = {
      initProcessEnabled = true
      capabilities       = { drop = ["ALL"] }
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.runner.name
        awslogs-region        = local.region
        awslogs-stream-prefix = each.value
      }
    }
  }])

  tags = var.tags
}

resource "aws_security_group" "runner" {
  #checkov:skip=CKV2_AWS_5:Attached at run time: the state machine passes it to ecs:RunTask (runner_security_group_id in the ASL), not to a Terraform resource.
  name        = "${local.name}-runner"
  description = "dpc-runner tasks: HTTPS out (image pull, AWS APIs without NAT) and Redshift inside the VPC"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${local.name}-runner" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "runner_https" {
  security_group_id = aws_security_group.runner.id
  description       = "HTTPS to ECR, S3 and AWS APIs (public endpoints: no NAT and no VPC endpoints by design, docs/decisions/0013)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "runner_redshift" {
  security_group_id = aws_security_group.runner.id
  description       = "Redshift Serverless inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 5439
  to_port           = 5439
  cidr_ipv4         = var.vpc_cidr
}

# ---------------------------------------------------------------------------------------------
# Lambdas: thin handlers from orchestration/lambdas plus the dpc package, outside the VPC (Data API).
# The archive provider is not in the provider mirror, so a builtin terraform_data runs the project's one
# packager, scripts/package_lambdas.py: it follows the handlers' imports into dpc and fails on anything beyond
# the standard library and boto3 (docs/decisions/0014); the zip is byte-identical for identical sources.
# ---------------------------------------------------------------------------------------------
resource "terraform_data" "lambda_package" {
  triggers_replace = [local.lambda_source_hash, local.lambda_package_path]

  provisioner "local-exec" {
    when    = create
    command = var.build_lambda_package ? "python3 '${abspath(local.lambda_packager)}' --handlers '${abspath(var.lambda_source_dir)}' --dpc '${abspath(var.dpc_package_dir)}' --out '${abspath(local.lambda_package_path)}'" : "true"
  }
}

resource "aws_sqs_queue" "lambda_dlq" {
  name                      = "${local.name}-lambda-dlq"
  message_retention_seconds = 1209600
  kms_master_key_id         = var.kms_key_arn
  tags                      = var.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda_dlq" {
  alarm_name          = "${local.name}-lambda-dlq-not-empty"
  alarm_description   = "An asynchronous Lambda invocation failed every retry (dispatch or the runner-stopped guard)"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.lambda_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.notifications.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_log_group" "lambda" {
  for_each = local.lambdas

  name              = "/aws/lambda/dpc-${local.env}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:Lambdas run outside the VPC by design (docs/decisions/0013): no NAT, no endpoints; they reach Redshift through the Data API with IAM.
  #checkov:skip=CKV_AWS_115:No reserved concurrency: an account at the default quota of 10 cannot reserve any. Concurrency is bounded upstream only in part: one execution per delivery (registry lock, docs/decisions/0016) and one dbt-publish-export at a time (build lock), so the per-delivery Lambdas scale with the deliveries running at once.
  #checkov:skip=CKV_AWS_272:Code is built from this repository by Terraform itself; no separate signing pipeline in the design.
  for_each = local.lambdas

  function_name    = "dpc-${local.env}-${each.key}"
  description      = "${var.name_prefix} ${local.env}: ${each.key}"
  role             = var.role_arns.lambdas[each.key]
  runtime          = "python3.11"
  architectures    = ["arm64"]
  handler          = "${each.value}.handler"
  filename         = local.lambda_package_path
  source_code_hash = local.lambda_source_hash
  memory_size      = var.lambda_memory_mb
  timeout          = var.lambda_timeout_seconds
  kms_key_arn      = var.kms_key_arn

  environment {
    variables = local.common_environment
  }

  # Asynchronous invocations (the manifest-upload and runner-stopped rules, the schedule) that fail every retry
  # land here, with the alarm below; the state machine's synchronous calls have their own Catch/Retry.
  dead_letter_config {
    target_arn = aws_sqs_queue.lambda_dlq.arn
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.lambda[each.key].name
  }

  tags       = var.tags
  depends_on = [terraform_data.lambda_package]
}

# ---------------------------------------------------------------------------------------------
# State machine (standard), logging to CloudWatch Logs: ALL, without execution data.
# ---------------------------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "statemachine" {
  name              = "/aws/vendedlogs/states/${local.state_machine_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sfn_state_machine" "pipeline" {
  #checkov:skip=CKV_AWS_285:Level ALL logs every execution event, but without execution data by design: payloads carry delivery details that stay out of logs (docs/decisions/0003, 0019).
  name     = local.state_machine_name
  type     = "STANDARD"
  role_arn = var.role_arns.stepfunctions

  definition = templatefile(local.asl_path, {
    validate_manifest_arn                = aws_lambda_function.this["validate-manifest"].arn
    load_raw_arn                         = aws_lambda_function.this["load-raw"].arn
    record_partitions_arn                = aws_lambda_function.this["record-partitions"].arn
    data_quality_arn                     = aws_lambda_function.this["data-quality"].arn
    publish_arn                          = aws_lambda_function.this["publish"].arn
    export_arn                           = aws_lambda_function.this["export"].arn
    notify_arn                           = aws_lambda_function.this["notify"].arn
    ecs_cluster_arn                      = aws_ecs_cluster.this.arn
    runner_dbt_task_definition_arn       = aws_ecs_task_definition.runner["dbt"].arn_without_revision
    runner_normalise_task_definition_arn = aws_ecs_task_definition.runner["normalise"].arn_without_revision
    runner_container_name                = local.container_name
    subnet_ids_json                      = jsonencode(var.subnet_ids)
    runner_security_group_id             = aws_security_group.runner.id
    redshift_workgroup                   = var.redshift_workgroup_name
    redshift_database                    = var.redshift_database
    sns_topic_arn                        = aws_sns_topic.notifications.arn
    kms_key_arn                          = var.kms_key_arn
    deliveries_table                     = aws_dynamodb_table.deliveries.name
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.statemachine.arn}:*"
    include_execution_data = false
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# Triggers: the daily schedule, the optional manifest-upload rule, and the ECS STOPPED guard.
# ---------------------------------------------------------------------------------------------
resource "aws_scheduler_schedule_group" "this" {
  name = local.name
  tags = var.tags
}

resource "aws_scheduler_schedule" "dispatch" {
  name                         = "${local.name}-dispatch"
  group_name                   = aws_scheduler_schedule_group.this.name
  description                  = "Daily dispatch of new deliveries"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.this["dispatch"].arn
    role_arn = var.role_arns.scheduler
    input    = jsonencode({ source = "schedule" })

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 2
    }
  }
}

resource "aws_cloudwatch_event_rule" "manifest_uploaded" {
  count = var.enable_s3_manifest_trigger ? 1 : 0

  name        = "${local.name}-manifest-uploaded"
  description = "A delivery's manifest was uploaded under raw/"
  event_pattern = jsonencode({
    source      = ["aws.s3"]
    detail-type = ["Object Created"]
    detail = {
      bucket = { name = [var.data_bucket_name] }
      object = { key = [{ wildcard = "raw/*${var.manifest_suffix}" }] }
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "manifest_uploaded" {
  count = var.enable_s3_manifest_trigger ? 1 : 0

  rule = aws_cloudwatch_event_rule.manifest_uploaded[0].name
  arn  = aws_lambda_function.this["dispatch"].arn
}

resource "aws_lambda_permission" "manifest_uploaded" {
  count = var.enable_s3_manifest_trigger ? 1 : 0

  statement_id  = "AllowManifestUploadedRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["dispatch"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.manifest_uploaded[0].arn
}

resource "aws_cloudwatch_event_rule" "runner_stopped" {
  name        = "${local.name}-runner-stopped"
  description = "A dpc-runner task stopped: the guard fails the waiting task token if the runner could not"
  event_pattern = jsonencode({
    source      = ["aws.ecs"]
    detail-type = ["ECS Task State Change"]
    detail = {
      clusterArn = [aws_ecs_cluster.this.arn]
      lastStatus = ["STOPPED"]
      group      = [for s in local.runner_steps : "family:dpc-runner-${s}-${local.env}"]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "runner_stopped" {
  rule = aws_cloudwatch_event_rule.runner_stopped.name
  arn  = aws_lambda_function.this["ecs-stopped-guard"].arn
}

resource "aws_lambda_permission" "runner_stopped" {
  statement_id  = "AllowRunnerStoppedRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["ecs-stopped-guard"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.runner_stopped.arn
}

# Operators start a run by hand with this policy (attach it to their role or group).
resource "aws_iam_policy" "manual_start" {
  name        = "${local.name}-manual-start"
  description = "Start the ${var.name_prefix} ${local.env} pipeline by hand (dispatch or a named execution)"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "InvokeDispatch"
        Effect   = "Allow"
        Action   = ["lambda:InvokeFunction"]
        Resource = aws_lambda_function.this["dispatch"].arn
      },
      {
        Sid      = "StartAndWatchExecutions"
        Effect   = "Allow"
        Action   = ["states:StartExecution", "states:DescribeStateMachine", "states:ListExecutions"]
        Resource = aws_sfn_state_machine.pipeline.arn
      },
      {
        Sid      = "DescribeExecutions"
        Effect   = "Allow"
        Action   = ["states:DescribeExecution", "states:GetExecutionHistory", "states:StopExecution"]
        Resource = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.state_machine_name}:*"
      },
    ]
  })
  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# Alarms and the cost guard.
# ---------------------------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "executions_failed" {
  alarm_name          = "${local.name}-pipeline-executions-failed"
  alarm_description   = "A pipeline execution failed, timed out or was aborted"
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = aws_sfn_state_machine.pipeline.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.notifications.arn]
  ok_actions          = [aws_sns_topic.notifications.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "executions_timed_out" {
  alarm_name          = "${local.name}-pipeline-executions-timed-out"
  alarm_description   = "A pipeline execution timed out"
  namespace           = "AWS/States"
  metric_name         = "ExecutionsTimedOut"
  dimensions          = { StateMachineArn = aws_sfn_state_machine.pipeline.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.notifications.arn]
  tags                = var.tags
}

resource "aws_budgets_budget" "monthly" {
  name         = "${local.name}-monthly"
  budget_type  = "COST"
  limit_amount = format("%.2f", var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  dynamic "notification" {
    for_each = toset([for t in var.budget_alert_thresholds : tostring(t)])
    content {
      comparison_operator       = "GREATER_THAN"
      threshold                 = tonumber(notification.value)
      threshold_type            = "PERCENTAGE"
      notification_type         = tonumber(notification.value) >= 100 ? "FORECASTED" : "ACTUAL"
      subscriber_sns_topic_arns = [aws_sns_topic.notifications.arn]
    }
  }

  tags = var.tags
}
