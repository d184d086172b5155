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
  athena_results = {
    Sid    = "AthenaResults"
    Effect = "Allow"
    Action = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    Resource = [
      "${local.artifacts_bucket}/athena-results/*",
    ]
  }
  athena_results_list = {
    Sid       = "AthenaResultsList"
    Effect    = "Allow"
    Action    = ["s3:ListBucket", "s3:GetBucketLocation"]
    Resource  = local.artifacts_bucket
    Condition = { StringLike = { "s3:prefix" = ["athena-results/*", "athena-results/"] } }
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
# role-lambda-dpc: dispatch, validate-manifest, load-raw, data-quality, publish, export, notify,
# ecs-stopped-guard.
# ---------------------------------------------------------------------------------------------
resource "aws_iam_role" "lambda" {
  name                 = "role-lambda-dpc"
  description          = "${var.name_prefix} Lambdas: manifests, Data API, Glue/Athena, notify, dispatch, STOPPED guard"
  assume_role_policy   = local.assume["lambda"]
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "lambda" {
  name = "dpc-lambda"
  role = aws_iam_role.lambda.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = local.lambda_log_group_arns
      },
      {
        Sid      = "ReadRawManifests"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.data_bucket}/raw/*"]
      },
      {
        # a K file listed in the manifest but deleted by the normaliser is known from its deletion record
        Sid      = "ReadDeletionRecords"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.data_bucket}/state/deleted/*"]
      },
      {
        Sid       = "ListRawAndStage"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = local.data_bucket
        Condition = { StringLike = { "s3:prefix" = ["raw/*", "stage/*", "state/deleted/*"] } }
      },
      {
        Sid      = "ReadDbtArtifacts"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.artifacts_bucket}/dbt-artifacts/*"]
      },
      {
        Sid      = "DataApiRun"
        Effect   = "Allow"
        Action   = ["redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement", "redshift-serverless:GetCredentials"]
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
        Sid      = "GlueRead"
        Effect   = "Allow"
        Action   = local.glue_read_actions
        Resource = concat([local.glue_catalog], flatten([for l, g in local.glue_dbs : [g.database, g.tables]]))
      },
      {
        Sid      = "GlueRegisterRawPartitions"
        Effect   = "Allow"
        Action   = ["glue:BatchCreatePartition", "glue:CreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition", "glue:DeletePartition", "glue:BatchDeletePartition"]
        Resource = [local.glue_catalog, local.glue_dbs["raw"].database, local.glue_dbs["raw"].tables]
      },
      local.athena_results,
      local.athena_results_list,
      {
        Sid      = "SlackWebhook"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = var.slack_webhook_secret_arn
      },
      {
        Sid      = "Notify"
        Effect   = "Allow"
        Action   = ["sns:Publish"]
        Resource = local.sns_topic_arn
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
      {
        Sid      = "StoppedGuardFailsTask"
        Effect   = "Allow"
        Action   = ["states:SendTaskFailure"]
        Resource = local.state_machine_arn
      },
      {
        Sid      = "DeliveryRegistryAndLock"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"]
        Resource = [local.deliveries_table_arn, "${local.deliveries_table_arn}/index/*"]
      },
      {
        Sid      = "XRay"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = "*"
      },
      local.kms_use,
    ]
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
  #checkov:skip=CKV_AWS_355:Same: the vended-logs delivery actions and X-Ray accept only "*"; every other statement is scoped to ARNs.
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
        Resource = [aws_iam_role.runner.arn, aws_iam_role.ecs_execution.arn]
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
        # Polls statements that load-raw started (docs/decisions/0015); the Data API has no resource ARNs.
        Sid      = "PollDataApi"
        Effect   = "Allow"
        Action   = ["redshift-data:DescribeStatement"]
        Resource = "*"
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
# role-dbt-runner: the dpc-runner ECS task (STEP=normalise and STEP=dbt).
# ---------------------------------------------------------------------------------------------
resource "aws_iam_role" "runner" {
  name               = "role-dbt-runner"
  description        = "dpc-runner task: normalise (raw -> stage) and dbt (Redshift or Athena)"
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
        Sid      = "NormaliseRecordsDeletions"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["${local.data_bucket}/state/deleted/*"]
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
        Condition = { StringLike = { "s3:prefix" = ["raw/*", "stage/*", "state/deleted/*", "${var.athena_warehouse_prefix}*"] } }
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
        Condition = { StringLike = { "s3:prefix" = ["dbt-artifacts/*", "docs/*", "athena-results/*"] } }
      },
      local.athena_results,
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
      {
        Sid      = "TaskToken"
        Effect   = "Allow"
        Action   = ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"]
        Resource = local.state_machine_arn
      },
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
# role-learner-dpc: learners query stage/mart/ref/dq and write their own sandbox schemas (docs/decisions/0019).
# Redshift grants are in infra/sql/redshift_bootstrap.sql; this role maps to a Redshift IAM user.
# ---------------------------------------------------------------------------------------------
resource "aws_iam_role" "learner" {
  name        = "role-learner-dpc"
  description = "Learners: read pseudonymised schemas, write own sandbox"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = length(var.learner_trusted_principal_arns) > 0 ? var.learner_trusted_principal_arns : ["${local.arn_prefix.iam}:root"] }
      Action    = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
    }]
  })
  max_session_duration = 14400
  tags                 = var.tags
}

resource "aws_iam_role_policy" "learner" {
  name = "dpc-learner"
  role = aws_iam_role.learner.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
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
      local.athena_results,
      local.athena_results_list,
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
