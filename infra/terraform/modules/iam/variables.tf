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

variable "kms_key_arn" {
  description = "ARN of the platform's KMS key; every role that touches encrypted data may use it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "data_bucket_arn" {
  description = "ARN of the data bucket (raw/, stage/, processed/, archive/)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::", var.data_bucket_arn))
    error_message = "data_bucket_arn must be an S3 bucket ARN."
  }
}

variable "artifacts_bucket_arn" {
  description = "ARN of the artifacts bucket (dbt-artifacts/, docs/, athena-results/)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::", var.artifacts_bucket_arn))
    error_message = "artifacts_bucket_arn must be an S3 bucket ARN."
  }
}

variable "link_key_arn" {
  description = "ARN of the HMAC KMS key of the cross-facility link key (kms:GenerateMac for the normalise task only)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.link_key_arn))
    error_message = "link_key_arn must be a KMS key ARN."
  }
}

variable "pseudonymisation_key_secret_arn" {
  description = "ARN of the pseudonymisation key secret (read by the normalise step only)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.pseudonymisation_key_secret_arn))
    error_message = "pseudonymisation_key_secret_arn must be a Secrets Manager ARN."
  }
}

variable "slack_webhook_secret_arn" {
  description = "ARN of the Slack webhook secret (read by the notify Lambda)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.slack_webhook_secret_arn))
    error_message = "slack_webhook_secret_arn must be a Secrets Manager ARN."
  }
}

variable "redshift_workgroup_arn" {
  description = "ARN of the Redshift Serverless workgroup (Data API and GetCredentials). Null scopes to the account's workgroups in the region (one workgroup per environment account)."
  type        = string
  default     = null

  validation {
    condition     = var.redshift_workgroup_arn == null || can(regex("^arn:aws[a-z-]*:redshift-serverless:", var.redshift_workgroup_arn))
    error_message = "redshift_workgroup_arn must be a Redshift Serverless workgroup ARN."
  }
}

variable "athena_warehouse_prefix" {
  description = "Prefix of the data bucket where dbt's Athena target writes its tables (<prefix><glue database>/<table>/)."
  type        = string
  default     = "processed/athena/"

  validation {
    condition     = can(regex("^[a-z0-9_/-]+/$", var.athena_warehouse_prefix))
    error_message = "athena_warehouse_prefix must be a relative prefix ending in /."
  }
}

variable "learners" {
  description = "Learners, each with the principals allowed to assume their role role-learner-dpc-<learner> (e.g. their SSO permission-set role). An empty list trusts the account root, which then delegates with IAM policies."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue([for l, _ in var.learners : can(regex("^[a-z][a-z0-9_]{1,30}$", l))])
    error_message = "Learner names are 2–31 lower-case letters, digits and underscores, starting with a letter (they name roles, workgroups and Redshift schemas)."
  }

  validation {
    condition     = alltrue(flatten([for _, ps in var.learners : [for a in ps : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:", a))]]))
    error_message = "Learners' trusted principals must be IAM ARNs."
  }
}

variable "enable_quicksight_redshift" {
  description = "Give role-quicksight-dpc read access to Redshift (only when the QuickSight Redshift data source is enabled)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for the roles."
  type        = map(string)
  default     = {}
}
