# IAM: the design's roles, each with what its components need and no more (docs/decisions/0017).
# ARNs of resources created by other modules are built from their fixed names, so the roles can
# exist before those resources (the KMS key policy and the pipeline both reference the roles).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  env        = var.environment
  name       = "${var.name_prefix}-${var.environment}"

  arn_prefix = {
    states  = "arn:${local.partition}:states:${local.region}:${local.account_id}"
    lambda  = "arn:${local.partition}:lambda:${local.region}:${local.account_id}"
    ecs     = "arn:${local.partition}:ecs:${local.region}:${local.account_id}"
    logs    = "arn:${local.partition}:logs:${local.region}:${local.account_id}"
    glue    = "arn:${local.partition}:glue:${local.region}:${local.account_id}"
    athena  = "arn:${local.partition}:athena:${local.region}:${local.account_id}"
    sns     = "arn:${local.partition}:sns:${local.region}:${local.account_id}"
    sqs     = "arn:${local.partition}:sqs:${local.region}:${local.account_id}"
    dynamo  = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}"
    ecr     = "arn:${local.partition}:ecr:${local.region}:${local.account_id}"
    iam     = "arn:${local.partition}:iam::${local.account_id}"
    rs      = "arn:${local.partition}:redshift-serverless:${local.region}:${local.account_id}"
    rs_user = "arn:${local.partition}:redshift:${local.region}:${local.account_id}"
  }

  state_machine_arn     = "${local.arn_prefix.states}:stateMachine:${local.name}-pipeline"
  execution_arn         = "${local.arn_prefix.states}:execution:${local.name}-pipeline:*"
  lambda_arns           = "${local.arn_prefix.lambda}:function:dpc-${local.env}-*"
  dispatch_lambda_arn   = "${local.arn_prefix.lambda}:function:dpc-${local.env}-dispatch"
  ecs_cluster_arn       = "${local.arn_prefix.ecs}:cluster/${local.name}"
  ecs_task_arns         = "${local.arn_prefix.ecs}:task/${local.name}/*"
  runner_task_def_arns  = ["${local.arn_prefix.ecs}:task-definition/dpc-runner-dbt-${local.env}:*", "${local.arn_prefix.ecs}:task-definition/dpc-runner-normalise-${local.env}:*"]
  sns_topic_arn         = "${local.arn_prefix.sns}:${local.name}-notifications"
  deliveries_table_arn  = "${local.arn_prefix.dynamo}:table/${local.name}-deliveries"
  athena_workgroup_arn  = "${local.arn_prefix.athena}:workgroup/${local.name}"
  ecr_repository_arn    = "${local.arn_prefix.ecr}:repository/dpc-runner"
  runner_log_group_arn  = "${local.arn_prefix.logs}:log-group:/ecs/dpc-runner-${local.env}:*"
  lambda_log_group_arns = "${local.arn_prefix.logs}:log-group:/aws/lambda/dpc-${local.env}-*:*"
  workgroup_arn         = coalesce(var.redshift_workgroup_arn, "${local.arn_prefix.rs}:workgroup/*")

  glue_db_prefix = "dpc_${local.env}"
  glue_catalog   = "${local.arn_prefix.glue}:catalog"
  glue_dbs = {
    for layer in ["raw", "stage", "internal", "mart_build", "mart", "ref", "dq"] : layer => {
      database = "${local.arn_prefix.glue}:database/${local.glue_db_prefix}_${layer}"
      tables   = "${local.arn_prefix.glue}:table/${local.glue_db_prefix}_${layer}/*"
    }
  }
  # Layers analysts and learners may read (docs/decisions/0019): pseudonymised data only.
  read_layers = ["stage", "mart", "ref", "dq"]

  data_bucket      = var.data_bucket_arn
  artifacts_bucket = var.artifacts_bucket_arn
  warehouse        = "${var.data_bucket_arn}/${var.athena_warehouse_prefix}"

  kms_use = {
    Sid      = "UsePlatformKey"
    Effect   = "Allow"
    Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    Resource = var.kms_key_arn
  }
  kms_decrypt = {
    Sid      = "DecryptWithPlatformKey"
    Effect   = "Allow"
    Action   = ["kms:Decrypt", "kms:DescribeKey"]
    Resource = var.kms_key_arn
  }

  glue_read_actions = ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
  athena_query_actions = [
    "athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution",
    "athena:GetQueryResults", "athena:GetWorkGroup", "athena:BatchGetQueryExecution",
  ]
  # Athena results (docs/decisions/0019): the pipeline workgroup (dbt, QuickSight) writes under
  # athena-results/pipeline/, each learner's workgroup under athena-results/learners/<learner>/.
  pipeline_results_prefix = "athena-results/pipeline/"
  athena_results = {
    Sid      = "AthenaResults"
    Effect   = "Allow"
    Action   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    Resource = ["${local.artifacts_bucket}/${local.pipeline_results_prefix}*"]
  }
  athena_results_list = {
    Sid       = "AthenaResultsList"
    Effect    = "Allow"
    Action    = ["s3:ListBucket", "s3:GetBucketLocation"]
    Resource  = local.artifacts_bucket
    Condition = { StringLike = { "s3:prefix" = [local.pipeline_results_prefix, "${local.pipeline_results_prefix}*"] } }
  }
  data_api_own_statements = {
    Sid      = "DataApiOwnStatements"
    Effect   = "Allow"
    Action   = ["redshift-data:DescribeStatement", "redshift-data:GetStatementResult", "redshift-data:CancelStatement", "redshift-data:ListStatements"]
    Resource = "*"
    # The Data API has no resource-level permissions for these: limited to statements this principal ran.
    Condition = { StringEquals = { "redshift-data:statement-owner-iam-userid" = "$${aws:userid}" } }
  }

  assume = {
    for role, service in {
      lambda        = "lambda.amazonaws.com"
      stepfunctions = "states.amazonaws.com"
      quicksight    = "quicksight.amazonaws.com"
      runner        = "ecs-tasks.amazonaws.com"
      ecs_execution = "ecs-tasks.amazonaws.com"
      scheduler     = "scheduler.amazonaws.com"
      } : role => jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect    = "Allow"
          Principal = { Service = service }
          Action    = "sts:AssumeRole"
          Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
        }]
    })
  }
}

# ---------------------------------------------------------------------------------------------
# Lambda roles: one per set of rights (docs/decisions/0017). Each Lambda gets what its handler in
# orchestration/lambdas calls, and the platform key to decrypt its KMS-encrypted environment.
#   role-lambda-dpc            load-raw, data-quality, publish, export: the Redshift Data API only
#   role-lambda-dispatch-dpc   dispatch: lists raw/, reads manifest.json, the registry, starts executions
#   role-lambda-validate-dpc   validate-manifest: lists raw/, reads manifest.json and deletion records
#   role-lambda-partitions-dpc record-partitions: Glue partitions of the raw database
#   role-lambda-notify-dpc     notify: SNS and the Slack webhook secret
#   role-lambda-guard-dpc      ecs-stopped-guard: states:SendTaskFailure
# Only the normalise task reads the delivered files under raw/ (role-normalise-dpc below); the Lambdas read
# manifests, whose names, sizes and checksums identify nobody.
# ---------------------------------------------------------------------------------------------
locals {
  lambda_logs = {
    Sid      = "Logs"
    Effect   = "Allow"
    Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    Resource = local.lambda_log_group_arns
  }
  # failed asynchronous invocations go to the KMS-encrypted dead-letter queue (modules/pipeline)
  lambda_dlq = {
    Sid      = "DeadLetterQueue"
    Effect   = "Allow"
    Action   = ["sqs:SendMessage"]
    Resource = "${local.arn_prefix.sqs}:${local.name}-lambda-dlq"
  }
  lambda_dlq_key = {
    Sid      = "DeadLetterQueueKey"
    Effect   = "Allow"
    Action   = ["kms:GenerateDataKey"]
    Resource = var.kms_key_arn
  }
  lambda_xray = {
    Sid      = "XRay"
    Effect   = "Allow"
    Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    Resource = "*"
  }
  # every delivery's manifest, never its files (raw/yyyymm=…/facility=…/manifest.json)
  raw_manifests = "${local.data_bucket}/raw/*/manifest.json"

  lambda_roles = {
    data_api = {
      name        = "role-lambda-dpc"
      description = "${var.name_prefix} Lambdas load-raw, data-quality, publish, export: Redshift Data API"
      functions   = ["load-raw", "data-quality", "publish", "export"]
      statements = [
        {
          # COPY and UNLOAD run as role-redshift-copy (the namespace's role): this role touches no bucket
          Sid      = "DataApiRun"
          Effect   = "Allow"
          Action   = ["redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement", "redshift-serverless:GetCredentials"]
          Resource = local.workgroup_arn
        },
        local.data_api_own_statements,
      ]
    }
    dispatch = {
      name        = "role-lambda-dispatch-dpc"
      description = "${var.name_prefix} Lambda dispatch: manifests, the delivery registry, StartExecution"
      functions   = ["dispatch"]
      statements = [
        {
          Sid       = "ListDeliveries"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = local.data_bucket
          Condition = { StringLike = { "s3:prefix" = ["raw/", "raw/*"] } }
        },
        {
          Sid      = "ReadManifests"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = [local.raw_manifests]
        },
        {
          Sid      = "DeliveryRegistry"
          Effect   = "Allow"
          Action   = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
          Resource = [local.deliveries_table_arn]
        },
        {
          Sid      = "DispatchStartsExecutions"
          Effect   = "Allow"
          Action   = ["states:StartExecution"]
          Resource = local.state_machine_arn
        },
        {
          Sid      = "ExecutionStatus"
          Effect   = "Allow"
          Action   = ["states:DescribeExecution"]
          Resource = local.execution_arn
        },
      ]
    }
    validate = {
      name        = "role-lambda-validate-dpc"
      description = "${var.name_prefix} Lambda validate-manifest: manifests and file listings, never file contents"
      functions   = ["validate-manifest"]
      statements = [
        {
          # names and sizes of the delivered files (ListObjectsV2), not their contents
          Sid       = "ListDeliveryAndDeletionRecords"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = local.data_bucket
          Condition = { StringLike = { "s3:prefix" = ["raw/*", "state/deleted/*"] } }
        },
        {
          Sid      = "ReadManifests"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = [local.raw_manifests]
        },
        {
          # a K file listed in the manifest but deleted by the normaliser is known from its deletion record
          Sid      = "ReadDeletionRecords"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = ["${local.data_bucket}/state/deleted/*"]
        },
      ]
    }
    partitions = {
      name        = "role-lambda-partitions-dpc"
      description = "${var.name_prefix} Lambda record-partitions: Glue partitions of the raw database"
      functions   = ["record-partitions"]
      statements = [
        {
          Sid      = "GlueRawPartitions"
          Effect   = "Allow"
          Action   = ["glue:GetTable", "glue:GetPartition", "glue:CreatePartition", "glue:UpdatePartition"]
          Resource = [local.glue_catalog, local.glue_dbs["raw"].database, local.glue_dbs["raw"].tables]
        },
      ]
    }
    notify = {
      name        = "role-lambda-notify-dpc"
      description = "${var.name_prefix} Lambda notify: the notifications topic and the Slack webhook"
      functions   = ["notify"]
      statements = [
        {
          Sid      = "Notify"
          Effect   = "Allow"
          Action   = ["sns:Publish"]
          Resource = local.sns_topic_arn
        },
        {
          Sid      = "SlackWebhook"
          Effect   = "Allow"
          Action   = ["secretsmanager:GetSecretValue"]
          Resource = var.slack_webhook_secret_arn
        },
        {
          # the topic and the secret are encrypted with the platform key
          Sid      = "EncryptedTopicAndSecret"
          Effect   = "Allow"
          Action   = ["kms:GenerateDataKey"]
          Resource = var.kms_key_arn
        },
      ]
    }
    guard = {
      name        = "role-lambda-guard-dpc"
      description = "${var.name_prefix} Lambda ecs-stopped-guard: fail the task token of a stopped runner"
      functions   = ["ecs-stopped-guard"]
      statements = [
        {
          Sid      = "StoppedGuardFailsTask"
          Effect   = "Allow"
          Action   = ["states:SendTaskFailure"]
          Resource = local.state_machine_arn
        },
      ]
    }
  }
  # function key (modules/pipeline) => role key
  lambda_role_of = merge([for k, r in local.lambda_roles : { for f in r.functions : f => k }]...)
}

resource "aws_iam_role" "lambda" {
  for_each = local.lambda_roles

  name                 = each.value.name
  description          = each.value.description
  assume_role_policy   = local.assume["lambda"]
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "lambda" {
  for_each = local.lambda_roles

  name = "dpc-lambda-${replace(each.key, "_", "-")}"
  role = aws_iam_role.lambda[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    # the platform key decrypts the function's environment (Lambda kms_key_arn) and the bucket's objects
    Statement = concat([local.lambda_logs, local.lambda_xray, local.kms_decrypt, local.lambda_dlq, local.lambda_dlq_key], each.value.statements)
  })
}

# ---------------------------------------------------------------------------------------------
# role-redshift-copy: the namespace's default IAM role for COPY (stage/) and UNLOAD (processed/).
# ---------------------------------------------------------------------------------------------
resource "aws_iam_role" "redshift_copy" {
  name        = "role-redshift-copy"
  description = "Redshift Serverless COPY from stage/ and UNLOAD to processed/"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"] }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "redshift_copy" {
  name = "dpc-redshift-copy"
  role = aws_iam_role.redshift_copy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadStage"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.data_bucket}/stage/*"]
      },
      {
        Sid      = "WriteProcessed"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:AbortMultipartUpload"]
        Resource = ["${local.data_bucket}/processed/*"]
      },
      {
        Sid       = "ListStageProcessed"
        Effect    = "Allow"
        Action    = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource  = local.data_bucket
        Condition = { StringLike = { "s3:prefix" = ["stage/*", "processed/*"] } }
      },
      local.kms_use,
    ]
  })
}

# ---------------------------------------------------------------------------------------------
# role-stepfunctions-dpc: the pipeline state machine.
# ---------------------------------------------------------------------------------------------
resource "aws_iam_role" "stepfunctions" {
  name               = "role-stepfunctions-dpc"
  description        = "${var.name_prefix} pipeline state machine"
  assume_role_policy = local.assume["stepfunctions"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "stepfunctions" {
  #checkov:skip=CKV_AWS_290:Step Functions' CloudWatch Logs delivery APIs (logs:CreateLogDelivery …) have no resource-level permissions (AWS-documented requirement for state machine logging).
  #checkov:skip=CKV_AWS_355:Resource "*" only where the service has no resource-level permission: the vended-logs delivery actions, X-Ray, and redshift-data:DescribeStatement, which is conditioned on the statement owner (the Data API Lambdas' role); every other statement is scoped to ARNs.
  name = "dpc-stepfunctions"
  role = aws_iam_role.stepfunctions.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "InvokePipelineLambdas"
        Effect   = "Allow"
        Action   = ["lambda:InvokeFunction"]
        Resource = [local.lambda_arns, "${local.lambda_arns}:*"]
      },
      {
        Sid       = "RunRunnerTasks"
        Effect    = "Allow"
        Action    = ["ecs:RunTask"]
        Resource  = local.runner_task_def_arns
        Condition = { ArnEquals = { "ecs:cluster" = local.ecs_cluster_arn } }
      },
      {
        Sid      = "ControlRunnerTasks"
        Effect   = "Allow"
        Action   = ["ecs:StopTask", "ecs:DescribeTasks"]
        Resource = local.ecs_task_arns
      },
      {
        Sid      = "PassRunnerRoles"
        Effect   = "Allow"
        Action   = ["iam:PassRole"]
        Resource = [aws_iam_role.runner.arn, aws_iam_role.normalise.arn, aws_iam_role.ecs_execution.arn]
        Condition = {
          StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" }
        }
      },
      {
        Sid      = "EcsSyncIntegrationRule"
        Effect   = "Allow"
        Action   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
        Resource = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/StepFunctionsGetEventsForECSTaskRule"
      },
      {
        # Polls statements that load-raw started (docs/decisions/0015). The Data API has no resource ARNs for
        # DescribeStatement; its redshift-data:statement-owner-iam-userid key (the owner's aws:userid,
        # "<role unique id>:<session>") limits the poll to statements the Data API Lambdas' role ran.
        Sid      = "PollDataApi"
        Effect   = "Allow"
        Action   = ["redshift-data:DescribeStatement"]
        Resource = "*"
        Condition = {
          StringLike = { "redshift-data:statement-owner-iam-userid" = "${aws_iam_role.lambda["data_api"].unique_id}:*" }
        }
      },
      {
        Sid      = "Notify"
        Effect   = "Allow"
        Action   = ["sns:Publish"]
        Resource = local.sns_topic_arn
      },
      {
        # The build lock (one dbt -> publish -> export at a time): TakeBuildLock puts it conditionally, the
        # release states delete it (dynamodb:putItem / dynamodb:deleteItem in pipeline.asl.json; no get/update).
        Sid      = "BuildLock"
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem", "dynamodb:DeleteItem"]
        Resource = local.deliveries_table_arn
      },
      {
        # Publishing to the KMS-encrypted topic needs GenerateDataKey/Decrypt; the deliveries table is encrypted
        # with the same key (DynamoDB uses it on the caller's behalf). No other state touches encrypted data itself:
        # Lambdas, ECS tasks and log delivery use their own roles or the key policy.
        Sid      = "EncryptedTopicAndTable"
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"]
        Resource = var.kms_key_arn
      },
      {
        Sid    = "LogDelivery"
        Effect = "Allow"
        Action = [
          "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
        ]
        Resource = "*"
      },
      {
        Sid      = "XRay"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
        Resource = "*"
      },
    ]
  })
}

# ---------------------------------------------------------------------------------------------
# role-quicksight-dpc: QuickSight reads the mart through Athena (docs/decisions/0013).
# ---------------------------------------------------------------------------------------------
resource "aws_iam_role" "quicksight" {
  name               = "role-quicksight-dpc"
  description        = "QuickSight: Athena/Glue read of the mart"
  assume_role_policy = local.assume["quicksight"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "quicksight" {
  name = "dpc-quicksight"
  role = aws_iam_role.quicksight.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "AthenaQueries"
          Effect   = "Allow"
          Action   = concat(local.athena_query_actions, ["athena:ListWorkGroups", "athena:GetDataCatalog"])
          Resource = local.athena_workgroup_arn
        },
        {
          Sid      = "GlueReadMart"
          Effect   = "Allow"
          Action   = local.glue_read_actions
          Resource = [local.glue_catalog, local.glue_dbs["mart"].database, local.glue_dbs["mart"].tables]
        },
        {
          Sid      = "ReadMartData"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = ["${local.warehouse}${local.glue_db_prefix}_mart/*"]
        },
        {
          Sid       = "ListMartData"
          Effect    = "Allow"
          Action    = ["s3:ListBucket", "s3:GetBucketLocation"]
          Resource  = local.data_bucket
          Condition = { StringLike = { "s3:prefix" = ["${var.athena_warehouse_prefix}${local.glue_db_prefix}_mart/*"] } }
        },
        local.athena_results,
        local.athena_results_list,
        local.kms_use,
      ],
      var.enable_quicksight_redshift ? [
        {
          Sid      = "RedshiftRead"
          Effect   = "Allow"
          Action   = ["redshift-serverless:GetCredentials", "redshift-serverless:GetWorkgroup"]
          Resource = local.workgroup_arn
        },
      ] : [],
    )
  })
}

# ---------------------------------------------------------------------------------------------
# The dpc-runner ECS tasks, one task role per step (docs/decisions/0017): the state machine starts each step
# with its own task definition (modules/pipeline), whose task role is the step's.
#   role-normalise-dpc  STEP=normalise: the only role that reads the delivered files under raw/, the
#                       pseudonymisation key secret and the link key (kms:GenerateMac)
#   role-dbt-runner     STEP=dbt: stage/ and the warehouse, Redshift or Athena; no raw/, no key
# ---------------------------------------------------------------------------------------------
locals {
  task_token = {
    Sid      = "TaskToken"
    Effect   = "Allow"
    Action   = ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"]
    Resource = local.state_machine_arn
  }
}

resource "aws_iam_role" "normalise" {
  name               = "role-normalise-dpc"
  description        = "dpc-runner STEP=normalise: raw -> stage with the pseudonymisation key and the link key"
  assume_role_policy = local.assume["runner"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "normalise" {
  name = "dpc-normalise"
  role = aws_iam_role.normalise.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "NormaliseReadsRaw"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.data_bucket}/raw/*"]
      },
      {
        Sid      = "NormaliseWritesStageAndQuarantine"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
        Resource = ["${local.data_bucket}/stage/*"]
      },
      {
        # K生成用データ holds names and insurance numbers: the normaliser deletes it once its link keys are written
        # and records the deletion (docs/pseudonymisation.md); only K files, never another raw file
        Sid      = "NormaliseDeletesRawKFiles"
        Effect   = "Allow"
        Action   = ["s3:DeleteObject"]
        Resource = ["${local.data_bucket}/raw/*/Kn_*", "${local.data_bucket}/raw/*/K_*"]
      },
      {
        # deletion records, the last normalised version (dpc.steps.load.last_ingested) and the write-once
        # archive of each version's raw files (dpc.steps.load.archive_raw; never the K files)
        Sid      = "NormaliseRecordsStateAndArchive"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["${local.data_bucket}/state/deleted/*", "${local.data_bucket}/state/ingested/*", "${local.data_bucket}/archive/raw/*"]
      },
      {
        Sid       = "ListData"
        Effect    = "Allow"
        Action    = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource  = local.data_bucket
        Condition = { StringLike = { "s3:prefix" = ["raw/*", "stage/*", "state/deleted/*", "state/ingested/*", "archive/raw/*"] } }
      },
      {
        Sid      = "WriteRunArtifacts"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["${local.artifacts_bucket}/dbt-artifacts/*"]
      },
      {
        Sid      = "PseudonymisationKey"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = var.pseudonymisation_key_secret_arn
      },
      {
        # the cross-facility link key is computed inside KMS (docs/pseudonymisation.md): MAC only, no decrypt
        Sid      = "LinkKeyMac"
        Effect   = "Allow"
        Action   = ["kms:GenerateMac"]
        Resource = var.link_key_arn
      },
      local.task_token,
      local.kms_use,
    ]
  })
}

resource "aws_iam_role" "runner" {
  name               = "role-dbt-runner"
  description        = "dpc-runner STEP=dbt: stage -> warehouse on Redshift or Athena; no raw files, no keys"
  assume_role_policy = local.assume["runner"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "runner" {
  name = "dpc-runner"
  role = aws_iam_role.runner.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # the Athena target reads the normalised Parquet through the raw Glue tables (stage/<kind>/)
        Sid      = "ReadStage"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.data_bucket}/stage/*"]
      },
      {
        Sid      = "AthenaTargetWarehouse"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
        Resource = ["${local.warehouse}*"]
      },
      {
        Sid       = "ListData"
        Effect    = "Allow"
        Action    = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource  = local.data_bucket
        Condition = { StringLike = { "s3:prefix" = ["stage/*", "${var.athena_warehouse_prefix}*"] } }
      },
      {
        Sid      = "WriteArtifactsAndDocs"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["${local.artifacts_bucket}/dbt-artifacts/*", "${local.artifacts_bucket}/docs/*"]
      },
      {
        Sid       = "ListArtifacts"
        Effect    = "Allow"
        Action    = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource  = local.artifacts_bucket
        Condition = { StringLike = { "s3:prefix" = ["dbt-artifacts/*", "docs/*", "${local.pipeline_results_prefix}*"] } }
      },
      local.athena_results,
      {
        Sid      = "RedshiftIamAuth"
        Effect   = "Allow"
        Action   = ["redshift-serverless:GetCredentials", "redshift-serverless:GetWorkgroup", "redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement"]
        Resource = local.workgroup_arn
      },
      local.data_api_own_statements,
      {
        Sid      = "AthenaQueries"
        Effect   = "Allow"
        Action   = local.athena_query_actions
        Resource = local.athena_workgroup_arn
      },
      {
        Sid    = "GlueForAthenaTarget"
        Effect = "Allow"
        Action = concat(local.glue_read_actions, [
          "glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable", "glue:BatchDeleteTable",
          "glue:CreatePartition", "glue:BatchCreatePartition", "glue:DeletePartition", "glue:BatchDeletePartition", "glue:UpdatePartition",
        ])
        Resource = concat([local.glue_catalog], flatten([for l, g in local.glue_dbs : [g.database, g.tables]]))
      },
      local.task_token,
      local.kms_use,
    ]
  })
}

# ---------------------------------------------------------------------------------------------
# ECS execution role: pulls the image and writes the task's logs.
# ---------------------------------------------------------------------------------------------
resource "aws_iam_role" "ecs_execution" {
  name               = "role-ecs-execution-dpc"
  description        = "ECS execution role of dpc-runner: image pull and logs"
  assume_role_policy = local.assume["ecs_execution"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "ecs_execution" {
  #checkov:skip=CKV_AWS_355:ecr:GetAuthorizationToken has no resource-level permission (AWS requirement for image pulls); every other statement is scoped.
  name = "dpc-ecs-execution"
  role = aws_iam_role.ecs_execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "EcrAuth"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*"
      },
      {
        Sid      = "EcrPull"
        Effect   = "Allow"
        Action   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
        Resource = local.ecr_repository_arn
      },
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = local.runner_log_group_arn
      },
      local.kms_decrypt,
    ]
  })
}

# ---------------------------------------------------------------------------------------------
# Scheduler role: EventBridge Scheduler invokes the dispatch Lambda.
# ---------------------------------------------------------------------------------------------
resource "aws_iam_role" "scheduler" {
  name               = "role-scheduler-dpc"
  description        = "EventBridge Scheduler: invoke dpc dispatch"
  assume_role_policy = local.assume["scheduler"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "scheduler" {
  name = "dpc-scheduler"
  role = aws_iam_role.scheduler.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "InvokeDispatch"
        Effect   = "Allow"
        Action   = ["lambda:InvokeFunction"]
        Resource = [local.dispatch_lambda_arn, "${local.dispatch_lambda_arn}:*"]
      },
      local.kms_decrypt,
    ]
  })
}

# ---------------------------------------------------------------------------------------------
# Learners (docs/decisions/0019): one role per learner (role-learner-dpc-<learner>), hence their own Redshift
# user (IAMR:role-learner-dpc-<learner>: Redshift Serverless maps GetCredentials 1:1 to the calling IAM
# identity, so a learner cannot obtain another's user), their own Athena workgroup writing to their own results
# prefix, and read access to the pseudonymised layers (stage, mart, ref, dq) only — never internal, never raw/.
# Their sandbox schemas are created by dq.create_learner_sandbox (infra/sql/redshift_bootstrap.sql) with the
# statement output.learner_sandbox_sql renders per learner.
# ---------------------------------------------------------------------------------------------
locals {
  learner_role_name     = { for l, _ in var.learners : l => "role-learner-dpc-${l}" }
  learner_workgroup_arn = { for l, _ in var.learners : l => "${local.arn_prefix.athena}:workgroup/${local.name}-learner-${l}" }
  learner_results       = { for l, _ in var.learners : l => "athena-results/learners/${l}/" }
}

resource "aws_iam_role" "learner" {
  for_each = var.learners

  name        = local.learner_role_name[each.key]
  description = "Learner ${each.key}: read pseudonymised layers, own sandbox, own Athena workgroup"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = length(each.value) > 0 ? each.value : ["${local.arn_prefix.iam}:root"] }
      Action    = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
    }]
  })
  max_session_duration = 14400
  tags                 = merge(var.tags, { Learner = each.key })
}

resource "aws_iam_role_policy" "learner" {
  for_each = var.learners

  name = "dpc-learner"
  role = aws_iam_role.learner[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # the database user is the role's own (IAMR:role-learner-dpc-<learner>)
        Sid      = "RedshiftIamAuth"
        Effect   = "Allow"
        Action   = ["redshift-serverless:GetCredentials", "redshift-serverless:GetWorkgroup", "redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement"]
        Resource = local.workgroup_arn
      },
      local.data_api_own_statements,
      {
        Sid      = "OwnAthenaWorkgroup"
        Effect   = "Allow"
        Action   = local.athena_query_actions
        Resource = local.learner_workgroup_arn[each.key]
      },
      {
        Sid      = "GlueReadPseudonymisedLayers"
        Effect   = "Allow"
        Action   = local.glue_read_actions
        Resource = concat([local.glue_catalog], flatten([for l in local.read_layers : [local.glue_dbs[l].database, local.glue_dbs[l].tables]]))
      },
      {
        Sid      = "ReadPseudonymisedData"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = concat(["${local.data_bucket}/stage/*"], [for l in local.read_layers : "${local.warehouse}${local.glue_db_prefix}_${l}/*"])
      },
      {
        Sid       = "ListPseudonymisedData"
        Effect    = "Allow"
        Action    = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource  = local.data_bucket
        Condition = { StringLike = { "s3:prefix" = concat(["stage/*"], [for l in local.read_layers : "${var.athena_warehouse_prefix}${local.glue_db_prefix}_${l}/*"]) } }
      },
      {
        Sid      = "OwnAthenaResults"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
        Resource = ["${local.artifacts_bucket}/${local.learner_results[each.key]}*"]
      },
      {
        Sid       = "OwnAthenaResultsList"
        Effect    = "Allow"
        Action    = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource  = local.artifacts_bucket
        Condition = { StringLike = { "s3:prefix" = [local.learner_results[each.key], "${local.learner_results[each.key]}*"] } }
      },
      {
        # The published dbt docs site (docs/analysts.md): read-only, SSE-KMS with the platform key.
        Sid      = "ReadDocsSite"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.artifacts_bucket}/docs/*"]
      },
      local.kms_use,
    ]
  })
}
