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

variable "bucket_suffix" {
  description = "Optional suffix appended to the global S3 bucket names (S3 names are global; docs/decisions/0018), e.g. \"-acme\". Empty by default."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[a-z0-9-]{0,20}$", var.bucket_suffix))
    error_message = "bucket_suffix may hold at most 20 lower-case letters, digits and hyphens."
  }
}

variable "link_key_alias" {
  description = "Alias of the HMAC key that computes the cross-facility link key (docs/pseudonymisation.md)."
  type        = string
  default     = "alias/dpc-learning-link-key"

  validation {
    condition     = startswith(var.link_key_alias, "alias/") && !startswith(var.link_key_alias, "alias/aws/")
    error_message = "link_key_alias must start with alias/ and must not be an AWS-reserved alias."
  }
}

variable "kms_alias" {
  description = "Alias of the platform's customer-managed KMS key (the design fixes alias/dpc-learning-kms; one AWS account per environment)."
  type        = string
  default     = "alias/dpc-learning-kms"

  validation {
    condition     = startswith(var.kms_alias, "alias/") && !startswith(var.kms_alias, "alias/aws/")
    error_message = "kms_alias must start with alias/ and must not be an AWS-reserved alias."
  }
}

variable "key_administrator_arns" {
  description = "IAM principal ARNs that administer the KMS key (no data use). The account root always keeps access so IAM policies apply."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.key_administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", a))])
    error_message = "key_administrator_arns must be IAM role or user ARNs."
  }
}

variable "service_role_names" {
  description = "Names of the platform's service roles that use the key (created by the iam module; referenced by ARN pattern so the key can exist first)."
  type        = list(string)
  default = [
    "role-lambda-dpc",
    "role-lambda-dispatch-dpc",
    "role-lambda-validate-dpc",
    "role-lambda-partitions-dpc",
    "role-lambda-notify-dpc",
    "role-lambda-guard-dpc",
    "role-redshift-copy",
    "role-stepfunctions-dpc",
    "role-quicksight-dpc",
    "role-dbt-runner",
    "role-normalise-dpc",
    "role-learner-dpc-*",
    "role-ecs-execution-dpc",
    "role-scheduler-dpc",
  ]

  validation {
    condition     = length(var.service_role_names) > 0 && alltrue([for n in var.service_role_names : can(regex("^[A-Za-z0-9+=,.@_*-]{1,64}$", n))])
    error_message = "service_role_names must be valid IAM role names (a * matches per-learner roles, e.g. role-learner-dpc-*)."
  }
}

variable "pipeline_role_names" {
  description = "Roles allowed to read the delivered files under raw/ and archive/ (clear identifiers; docs/decisions/0003 and 0019): the normalise task's role alone."
  type        = list(string)
  default     = ["role-normalise-dpc"]

  validation {
    condition     = length(var.pipeline_role_names) > 0
    error_message = "At least one pipeline role must be able to read raw/."
  }
}

variable "manifest_reader_role_names" {
  description = "Roles that read delivery manifests (raw/…/manifest.json) and deletion records but no delivered file: dispatch and validate-manifest."
  type        = list(string)
  default     = ["role-lambda-dispatch-dpc", "role-lambda-validate-dpc"]
}

variable "upload_source_cidrs" {
  description = "Source CIDRs from which deliveries may be uploaded to raw/ (bucket policy denies uploads from anywhere else)."
  type        = list(string)

  validation {
    condition     = length(var.upload_source_cidrs) > 0 && alltrue([for c in var.upload_source_cidrs : can(cidrhost(c, 0))])
    error_message = "upload_source_cidrs must be a non-empty list of valid CIDR blocks."
  }
}

variable "archive_transition_days" {
  description = "Days after which objects under archive/ move to S3 Glacier Deep Archive."
  type        = number
  default     = 1

  validation {
    condition     = var.archive_transition_days >= 0 && var.archive_transition_days <= 3650
    error_message = "archive_transition_days must be between 0 and 3650."
  }
}

variable "athena_results_expiration_days" {
  description = "Days after which Athena query results under athena-results/ in the artifacts bucket expire."
  type        = number
  default     = 30

  validation {
    condition     = var.athena_results_expiration_days >= 1
    error_message = "athena_results_expiration_days must be at least 1."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which non-current object versions expire (versioning protects against accidental overwrite)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "secret_recovery_window_days" {
  description = "Recovery window of the Secrets Manager secrets when deleted (0 deletes at once; 7–30 otherwise)."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}

variable "force_destroy_buckets" {
  description = "Allow terraform destroy to delete non-empty buckets (dev teardown only; keep false in prod)."
  type        = bool
  default     = false
}

variable "kms_rotation_period_days" {
  description = "Automatic rotation period of the KMS key in days (null keeps the service default of 365)."
  type        = number
  default     = 365

  validation {
    condition     = var.kms_rotation_period_days == null || try(var.kms_rotation_period_days >= 90 && var.kms_rotation_period_days <= 2560, false)
    error_message = "kms_rotation_period_days must be between 90 and 2560."
  }
}

variable "s3_eventbridge_notifications" {
  description = "Send the buckets' object events to EventBridge (the optional manifest-upload trigger listens to them)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for this module's resources (roots set default_tags on the provider)."
  type        = map(string)
  default     = {}
}
