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

variable "data_bucket_name" {
  description = "Name of the data bucket; the raw tables read s3://<bucket>/stage/<kind>/."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket_name))
    error_message = "data_bucket_name must be a valid S3 bucket name."
  }
}

variable "artifacts_bucket_name" {
  description = "Name of the artifacts bucket; Athena results go to s3://<bucket>/athena-results/."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket_name))
    error_message = "artifacts_bucket_name must be a valid S3 bucket name."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts Athena query results (enforced by the workgroup)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Athena bytes-scanned cutoff per query (cost guard; minimum 10 MB)."
  type        = number
  default     = 10737418240

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760
    error_message = "bytes_scanned_cutoff_per_query must be at least 10485760 (10 MB)."
  }
}

variable "force_destroy_workgroup" {
  description = "Let terraform destroy delete the Athena workgroup with its saved queries (dev teardown)."
  type        = bool
  default     = false
}

variable "learners" {
  description = "Learner names: each gets an Athena workgroup <name_prefix>-<env>-learner-<learner> writing to athena-results/learners/<learner>/ (docs/decisions/0019)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for l in var.learners : can(regex("^[a-z][a-z0-9_]{1,30}$", l))])
    error_message = "Learner names are 2–31 lower-case letters, digits and underscores, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for this module's resources."
  type        = map(string)
  default     = {}
}
