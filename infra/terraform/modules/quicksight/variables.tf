variable "environment" {
  description = "Environment name (dev or prod)."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "athena_workgroup_name" {
  description = "Athena workgroup QuickSight queries through (the default path, DECISIONS 13)."
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
  description = "Datasets over mart tables: table name => columns (name => QuickSight type STRING, INTEGER, DECIMAL, DATETIME, BIT). Aggregates only show suppressed small cells (DECISIONS 20); fct_admissions carries no patient key."
  type = map(object({
    columns    = map(string)
    custom_sql = optional(bool, false)
  }))
  default = {
    kpi_monthly_facility_mdc = {
      columns = {
        facility_code        = "STRING"
        discharge_yyyymm     = "INTEGER"
        fiscal_year          = "INTEGER"
        mdc_code             = "STRING"
        stays                = "INTEGER"
        mean_los_days        = "DECIMAL"
        readmission_30d_rate = "DECIMAL"
        points_per_day       = "DECIMAL"
        is_suppressed        = "BIT"
      }
    }
    fct_admissions = {
      custom_sql = true
      columns = {
        stay_key         = "STRING"
        facility_code    = "STRING"
        admission_date   = "DATETIME"
        discharge_date   = "DATETIME"
        discharge_yyyymm = "INTEGER"
        mdc_code         = "STRING"
        dpc_code         = "STRING"
        los_days         = "INTEGER"
        billed_points    = "DECIMAL"
      }
    }
  }

  validation {
    condition = alltrue(flatten([
      for t, d in var.datasets : [for c, ty in d.columns : contains(["STRING", "INTEGER", "DECIMAL", "DATETIME", "BIT", "BOOLEAN", "JSON"], ty)]
    ]))
    error_message = "Column types must be QuickSight input types (STRING, INTEGER, DECIMAL, DATETIME, BIT, BOOLEAN, JSON)."
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
  description = "Also create a Redshift data source (needs a QuickSight VPC connection and a security-group rule into the workgroup; DECISIONS 13)."
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
