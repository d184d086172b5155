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

variable "athena_workgroup_name" {
  description = "Athena workgroup QuickSight queries through (the default path, docs/decisions/0013)."
  type        = string
}

variable "mart_database" {
  description = "Glue database (Athena) or Redshift schema holding the published mart."
  type        = string

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]*$", var.mart_database))
    error_message = "mart_database must be a lower-case identifier."
  }
}

variable "principal_arns" {
  description = "QuickSight users or groups (arn:aws:quicksight:…:user/… or group/…) granted use of the data sources and datasets."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.principal_arns : can(regex("^arn:aws[a-z-]*:quicksight:", a))])
    error_message = "principal_arns must be QuickSight user or group ARNs."
  }
}

variable "datasets" {
  description = "Data sets over mart tables: table name => columns (name => QuickSight type STRING, INTEGER, DECIMAL, DATETIME, BIT, BOOLEAN, JSON). null (the default) takes datasets.json beside this file — aggregates and dimensions only, whose small cells the mart already suppresses (docs/decisions/0020); tests/python/test_docs_site.py checks it against the mart's columns and the dbt exposures."
  type = map(object({
    columns    = map(string)
    custom_sql = optional(bool, false)
  }))
  default = null

  validation {
    condition = var.datasets == null || alltrue(flatten([
      for t, d in coalesce(var.datasets, {}) : [for c, ty in d.columns : contains(["STRING", "INTEGER", "DECIMAL", "DATETIME", "BIT", "BOOLEAN", "JSON"], ty)]
    ]))
    error_message = "Column types must be QuickSight input types (STRING, INTEGER, DECIMAL, DATETIME, BIT, BOOLEAN, JSON)."
  }
}

variable "redshift_mart_schema" {
  description = "Redshift schema of the published mart (the Athena side uses mart_database, the Glue database)."
  type        = string
  default     = "mart"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]*$", var.redshift_mart_schema))
    error_message = "redshift_mart_schema must be a lower-case identifier."
  }
}

variable "import_mode" {
  description = "SPICE (imported, cheap to read) or DIRECT_QUERY."
  type        = string
  default     = "DIRECT_QUERY"

  validation {
    condition     = contains(["SPICE", "DIRECT_QUERY"], var.import_mode)
    error_message = "import_mode must be SPICE or DIRECT_QUERY."
  }
}

variable "enable_redshift" {
  description = "Also create a Redshift data source (needs a QuickSight VPC connection and a security-group rule into the workgroup; docs/decisions/0013)."
  type        = bool
  default     = false
}

variable "redshift" {
  description = "Redshift connection when enable_redshift: workgroup endpoint, database, VPC, subnets, the workgroup's security group and the secret of a read-only QuickSight database user."
  type = object({
    host              = string
    port              = optional(number, 5439)
    database          = string
    vpc_id            = string
    subnet_ids        = list(string)
    security_group_id = string
    secret_arn        = string
  })
  default = null

  validation {
    condition     = var.redshift == null || try(length(var.redshift.subnet_ids) >= 2, false)
    error_message = "A QuickSight VPC connection needs at least two subnets."
  }
}

variable "tags" {
  description = "Extra tags for this module's resources."
  type        = map(string)
  default     = {}
}
