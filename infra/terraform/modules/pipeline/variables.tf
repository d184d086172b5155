variable "name_prefix" {
  description = "Prefix of this module's resource names, which read <name_prefix>-<environment>… (set once, by the platform composition)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2–24 lower-case letters, digits and hyphens, starting with a letter and not ending in a hyphen."
  }
}

variable "environment" {
  description = "Environment name (e.g. dev, prod): part of the resource names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.environment))
    error_message = "environment must be 2–8 lower-case letters or digits, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC where the dpc-runner tasks run (the default VPC by design)."
  type        = string

  validation {
    condition     = can(regex("^vpc-", var.vpc_id))
    error_message = "vpc_id must be a VPC ID."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the VPC (the runner's egress to Redshift on 5439 stays inside it)."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a CIDR block."
  }
}

variable "subnet_ids" {
  description = "Subnets of the dpc-runner tasks (public IP only to pull the image without a NAT; docs/decisions/0013)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^subnet-", s))])
    error_message = "subnet_ids must be a non-empty list of subnet IDs."
  }
}

variable "kms_key_arn" {
  description = "Platform KMS key (logs, SNS, DynamoDB, ECR, Lambda environment, schedules)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "data_bucket_name" {
  description = "Data bucket (raw/, stage/, processed/, archive/)."
  type        = string
}

variable "artifacts_bucket_name" {
  description = "Artifacts bucket (dbt-artifacts/, docs/, athena-results/)."
  type        = string
}

variable "role_arns" {
  description = "ARNs of the roles from the iam module: lambdas (by function key), stepfunctions, runner (the dbt step's task role), normalise (the normalise step's task role), ecs_execution, scheduler."
  type = object({
    lambdas       = map(string)
    stepfunctions = string
    runner        = string
    normalise     = string
    ecs_execution = string
    scheduler     = string
  })

  validation {
    condition = alltrue([for a in concat(values(var.role_arns.lambdas), [var.role_arns.stepfunctions, var.role_arns.runner, var.role_arns.normalise, var.role_arns.ecs_execution, var.role_arns.scheduler]) :
    can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", a))])
    error_message = "Every role ARN must be an IAM role ARN."
  }
}

variable "link_key_arn" {
  description = "ARN of the HMAC KMS key of the cross-facility link key (the normalise task's DPC_LINK_KMS_KEY_ID)."
  type        = string
}

variable "pseudonymisation_key_secret_arn" {
  description = "Secret holding the pseudonymisation key; the normalise task reads it at run time (never in the task definition)."
  type        = string
}

variable "slack_webhook_secret_arn" {
  description = "Secret holding the Slack webhook URL (notify Lambda)."
  type        = string
}

variable "redshift_workgroup_name" {
  description = "Redshift Serverless workgroup name (Data API target)."
  type        = string
}

variable "redshift_database" {
  description = "Redshift database name."
  type        = string
  default     = "dpc"
}

variable "athena_workgroup_name" {
  description = "Athena workgroup name (athena target)."
  type        = string
}

variable "lambda_source_dir" {
  description = "Directory of the Lambda handlers (orchestration/lambdas: <module>.handler per function)."
  type        = string
}

variable "dpc_package_dir" {
  description = "Directory of the project's dpc package, bundled beside the handlers."
  type        = string
}

variable "build_lambda_package" {
  description = "Build the Lambda zip with scripts/package_lambdas.py at apply (set false where the zip is built beforehand, e.g. in terraform test)."
  type        = bool
  default     = true
}

variable "lambda_package_path" {
  description = "Path of the Lambda deployment zip (built from lambda_source_dir and dpc_package_dir). Null puts it under .terraform/ of the root."
  type        = string
  default     = null
}

variable "lambda_memory_mb" {
  description = "Memory of each Lambda function in MB (they stay small: manifest checks, Data API calls, notify; docs/decisions/0014)."
  type        = number
  default     = 256

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 2048
    error_message = "lambda_memory_mb must be between 128 and 2048."
  }
}

variable "lambda_timeout_seconds" {
  description = "Timeout of each Lambda function in seconds (long work polls from the state machine's Wait loop)."
  type        = number
  default     = 120

  validation {
    condition     = var.lambda_timeout_seconds >= 3 && var.lambda_timeout_seconds <= 900
    error_message = "lambda_timeout_seconds must be between 3 and 900."
  }
}

variable "runner_image_tag" {
  description = "Tag of the dpc-runner image in ECR (tags are immutable: use the git commit)."
  type        = string
  default     = "initial"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.runner_image_tag))
    error_message = "runner_image_tag must be a valid image tag."
  }
}

variable "runner_sizes" {
  description = "CPU units and memory (MiB) per runner step. dbt is small (the warehouse does the work); normalise is sized from the benchmark's peak memory (bench/results.json)."
  type = object({
    dbt       = object({ cpu = number, memory = number })
    normalise = object({ cpu = number, memory = number })
  })
  default = {
    dbt       = { cpu = 512, memory = 1024 }
    normalise = { cpu = 1024, memory = 4096 }
  }

  validation {
    condition     = alltrue([for s in values(var.runner_sizes) : contains([256, 512, 1024, 2048, 4096], s.cpu) && s.memory >= 512 && s.memory <= 30720])
    error_message = "runner_sizes must use Fargate CPU values (256–4096) and memory between 512 and 30720 MiB."
  }
}

variable "runner_ephemeral_storage_gib" {
  description = "Fargate ephemeral storage of the normalise task in GiB (the tmp volume holds a delivery while it is normalised)."
  type        = number
  default     = 30

  validation {
    condition     = var.runner_ephemeral_storage_gib >= 21 && var.runner_ephemeral_storage_gib <= 200
    error_message = "runner_ephemeral_storage_gib must be between 21 and 200."
  }
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (Lambdas, runner, state machine)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts."
  }
}

variable "schedule_expression" {
  description = "EventBridge Scheduler expression of the dispatch run."
  type        = string
  default     = "cron(0 6 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be a cron(), rate() or at() expression."
  }
}

variable "schedule_timezone" {
  description = "Time zone of the schedule expression."
  type        = string
  default     = "Asia/Tokyo"
}

variable "schedule_enabled" {
  description = "Whether the dispatch schedule is enabled."
  type        = bool
  default     = true
}

variable "enable_s3_manifest_trigger" {
  description = "Also dispatch when a manifest is uploaded under raw/ (EventBridge rule on S3 Object Created). Off by default: the schedule dispatches."
  type        = bool
  default     = false
}

variable "manifest_suffix" {
  description = "Key suffix of a delivery's manifest under raw/ (used by the optional S3 trigger)."
  type        = string
  default     = "manifest.json"
}

variable "notification_emails" {
  description = "E-mail addresses subscribed to the notifications topic (each must confirm)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+$", e))])
    error_message = "notification_emails must be e-mail addresses."
  }
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget of the environment in USD; alerts go to the notifications topic."
  type        = number
  default     = 100

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be positive."
  }
}

variable "budget_alert_thresholds" {
  description = "Percentages of the budget at which actual (and forecast, for >= 100) spend alerts."
  type        = list(number)
  default     = [80, 100]

  validation {
    condition     = length(var.budget_alert_thresholds) > 0 && alltrue([for t in var.budget_alert_thresholds : t > 0 && t <= 1000])
    error_message = "budget_alert_thresholds must be percentages between 0 and 1000."
  }
}

variable "deletion_protection" {
  description = "Deletion protection of the deliveries table (true in prod)."
  type        = bool
  default     = false
}

variable "ecr_force_delete" {
  description = "Let terraform destroy delete the ECR repository with its images (dev teardown)."
  type        = bool
  default     = false
}

variable "statemachine_definition_path" {
  description = "Path of the ASL template. Null uses orchestration/statemachine/pipeline.asl.json of the repository."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for this module's resources."
  type        = map(string)
  default     = {}
}
