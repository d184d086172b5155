variable "environment" {
  description = "Environment of this state (dev, prod): set in environments/<env>.tfvars beside the <env>.backend.hcl that holds its state."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.environment))
    error_message = "environment must be 2–8 lower-case letters or digits, starting with a letter."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (<name_prefix>-<environment>…); the design's is dpc-learning, which the dpc CLI and docs assume."
  type        = string
  default     = "dpc-learning"
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "ap-northeast-1"

  validation {
    condition     = can(regex("^[a-z]{2}-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name."
  }
}

variable "bucket_suffix" {
  description = "Optional suffix of the global S3 bucket names (docs/decisions/0018)."
  type        = string
  default     = ""
}

variable "vpc_id" {
  description = "Existing VPC to use; null uses the account's default VPC (docs/decisions/0013)."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Three subnets in three AZs for Redshift and the runner; null takes the VPC's default-for-AZ subnets."
  type        = list(string)
  default     = null

  validation {
    condition     = var.subnet_ids == null || try(length(var.subnet_ids) == 3, false)
    error_message = "subnet_ids must list exactly three subnets (three AZs)."
  }
}

variable "upload_source_cidrs" {
  description = "Networks from which deliveries may be uploaded to raw/."
  type        = list(string)
}

variable "key_administrator_arns" {
  description = "IAM principals that administer the KMS key."
  type        = list(string)
  default     = []
}

variable "learners" {
  description = "Learners, each with the principals that may assume their own role role-learner-dpc-<learner> (e.g. their SSO permission-set role; empty: the account root delegates). Each gets their own Redshift user, sandbox schemas and Athena workgroup (docs/decisions/0019)."
  type        = map(list(string))
  default     = {}
}

variable "runner_image_tag" {
  description = "dpc-runner image tag to run (immutable tags: the git commit)."
  type        = string
  default     = "initial"
}

variable "schedule_expression" {
  description = "Dispatch schedule (EventBridge Scheduler expression)."
  type        = string
  default     = "cron(0 6 * * ? *)"
}

variable "schedule_timezone" {
  description = "Time zone of the dispatch schedule."
  type        = string
  default     = "Asia/Tokyo"
}

variable "schedule_enabled" {
  description = "Whether the dispatch schedule runs (false pauses dispatch, e.g. while the pseudonymisation key rotates)."
  type        = bool
  default     = true
}

variable "enable_s3_manifest_trigger" {
  description = "Dispatch on manifest upload as well as on schedule."
  type        = bool
  default     = false
}

variable "notification_emails" {
  description = "E-mail subscribers of the notifications topic."
  type        = list(string)
  default     = []
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget in USD."
  type        = number
}

variable "usage_limit_rpu_hours" {
  description = "Monthly Redshift Serverless RPU-hour limit."
  type        = number
}

variable "enable_quicksight" {
  description = "Create the QuickSight data sources and datasets (needs a QuickSight subscription in the account)."
  type        = bool
  default     = false
}

variable "quicksight_principal_arns" {
  description = "QuickSight users or groups granted the data sources and datasets."
  type        = list(string)
  default     = []
}

variable "enable_quicksight_redshift" {
  description = "Add the QuickSight Redshift data source with its VPC connection."
  type        = bool
  default     = false
}

variable "quicksight_redshift_secret_arn" {
  description = "Secret of QuickSight's read-only Redshift user (needed when enable_quicksight_redshift)."
  type        = string
  default     = null
}

variable "lambda_source_dir" {
  description = "Directory of the Lambda handlers; null uses orchestration/lambdas of this repository."
  type        = string
  default     = null
}

variable "build_lambda_package" {
  description = "Build the Lambda zip during apply."
  type        = bool
  default     = true
}

# Protection of stateful resources. The defaults protect: an environment opts out explicitly in its tfvars (dev
# does, to tear down cleanly), and prod cannot (validated here, asserted by tests/prod.tftest.hcl).
variable "deletion_protection" {
  description = "Deletion protection of the deliveries table (the delivery registry and build lock)."
  type        = bool
  default     = true

  validation {
    condition     = var.deletion_protection || var.environment != "prod"
    error_message = "prod keeps deletion_protection = true."
  }
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy delete the data and artifacts buckets with their objects (teardown of a disposable environment)."
  type        = bool
  default     = false

  validation {
    condition     = !var.force_destroy_buckets || var.environment != "prod"
    error_message = "prod keeps force_destroy_buckets = false."
  }
}

variable "force_destroy_workgroup" {
  description = "Let terraform destroy delete the Athena workgroup with its saved queries."
  type        = bool
  default     = false

  validation {
    condition     = !var.force_destroy_workgroup || var.environment != "prod"
    error_message = "prod keeps force_destroy_workgroup = false."
  }
}

variable "ecr_force_delete" {
  description = "Let terraform destroy delete the runner's ECR repository with its images."
  type        = bool
  default     = false

  validation {
    condition     = !var.ecr_force_delete || var.environment != "prod"
    error_message = "prod keeps ecr_force_delete = false."
  }
}
