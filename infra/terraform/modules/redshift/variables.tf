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
  description = "VPC of the workgroup (the account's default VPC by design, docs/decisions/0013)."
  type        = string

  validation {
    condition     = can(regex("^vpc-", var.vpc_id))
    error_message = "vpc_id must be a VPC ID."
  }
}

variable "subnet_ids" {
  description = "Subnets of the workgroup: exactly three, in three Availability Zones (the service requires three)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) == 3 && length(distinct(var.subnet_ids)) == 3
    error_message = "Redshift Serverless needs three distinct subnets (one per AZ)."
  }
}

variable "allowed_security_groups" {
  description = "Security groups admitted on port 5439, keyed by a static name (the dpc-runner's alone by design: { runner = sg-… }; QuickSight's rule is added by that module)."
  type        = map(string)

  validation {
    condition     = length(var.allowed_security_groups) > 0 && alltrue([for s in values(var.allowed_security_groups) : can(regex("^sg-", s))])
    error_message = "allowed_security_groups must map names to security group IDs."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the namespace and its managed admin secret."
  type        = string
}

variable "default_iam_role_arn" {
  description = "ARN of role-redshift-copy: the namespace's default IAM role for COPY and UNLOAD."
  type        = string
}

variable "database_name" {
  description = "Database created in the namespace."
  type        = string
  default     = "dpc"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,63}$", var.database_name))
    error_message = "database_name must be a lower-case Redshift identifier."
  }
}

variable "admin_username" {
  description = "Admin user of the namespace; its password is generated and kept by Secrets Manager."
  type        = string
  default     = "dpc_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,127}$", var.admin_username)) && var.admin_username != "admin"
    error_message = "admin_username must be a lower-case identifier other than admin."
  }
}

variable "base_capacity" {
  description = "Base capacity of the workgroup in RPUs (the design fixes 8, the minimum)."
  type        = number
  default     = 8

  validation {
    condition     = var.base_capacity >= 8 && var.base_capacity <= 512 && var.base_capacity % 8 == 0
    error_message = "base_capacity must be a multiple of 8 between 8 and 512."
  }
}

variable "max_capacity" {
  description = "Upper bound of the workgroup's capacity in RPUs (caps scaling cost)."
  type        = number
  default     = 16

  validation {
    condition     = var.max_capacity >= 8 && var.max_capacity <= 512
    error_message = "max_capacity must be between 8 and 512."
  }
}

variable "usage_limit_rpu_hours" {
  description = "Monthly limit of RPU-hours on the workgroup (cost guard; learners' ad-hoc queries count too)."
  type        = number
  default     = 100

  validation {
    condition     = var.usage_limit_rpu_hours >= 1
    error_message = "usage_limit_rpu_hours must be at least 1."
  }
}

variable "usage_limit_breach_action" {
  description = "What happens when the usage limit is reached: log, emit-metric or deactivate."
  type        = string
  default     = "emit-metric"

  validation {
    condition     = contains(["log", "emit-metric", "deactivate"], var.usage_limit_breach_action)
    error_message = "usage_limit_breach_action must be log, emit-metric or deactivate."
  }
}

variable "max_query_execution_time" {
  description = "Longest a query may run, in seconds (workgroup query limit; bounds learners' ad-hoc queries)."
  type        = number
  default     = 1800

  validation {
    condition     = var.max_query_execution_time >= 60 && var.max_query_execution_time <= 86399
    error_message = "max_query_execution_time must be between 60 and 86399 seconds."
  }
}

variable "tags" {
  description = "Extra tags for this module's resources."
  type        = map(string)
  default     = {}
}
