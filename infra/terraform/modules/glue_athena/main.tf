# Glue databases per layer, one Glue table per file kind over the normalised stage/<kind>/ Parquet
# (and one per kind's quarantine), partitions registered per recorded load (docs/decisions/0011), and the Athena
# workgroup.

data "aws_caller_identity" "current" {}

locals {
  name   = "${var.name_prefix}-${var.environment}"
  layers = ["raw", "stage", "internal", "mart_build", "mart", "ref", "dq"]

  columns = jsondecode(file("${path.module}/stage_columns.json"))

  # table name => { location prefix, columns }
  raw_tables = merge(
    { for slug, cols in local.columns.stage : slug => { prefix = "stage/${slug}", columns = cols, kind = slug } },
    { for slug, cols in local.columns.quarantine : "quarantine_${slug}" => { prefix = "stage/quarantine_${slug}", columns = cols, kind = slug } },
  )
}

resource "aws_glue_catalog_database" "layer" {
  for_each = toset(local.layers)

  catalog_id  = data.aws_caller_identity.current.account_id
  name        = "dpc_${var.environment}_${each.value}"
  description = "${var.name_prefix} ${var.environment}: ${each.value} layer (docs/decisions/0008)"
  tags        = var.tags
}

resource "aws_glue_catalog_table" "raw" {
  for_each = local.raw_tables

  name          = each.key
  database_name = aws_glue_catalog_database.layer["raw"].name
  description   = "Normalised ${each.value.kind} rows${startswith(each.key, "quarantine_") ? " rejected by the normaliser, with reasons" : ""} (s3://${var.data_bucket_name}/${each.value.prefix}/)"
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL              = "TRUE"
    classification        = "parquet"
    "parquet.compression" = "SNAPPY"
    "has_encrypted_data"  = "true"
    # no partition projection: a delivery's partition is registered by the load step and points at its latest
    # recorded load, stage/<kind>/yyyymm=…/facility=…/load=<load id>/ (docs/decisions/0011,
    # orchestration/lambdas/record_partitions.py); a projection would read every load folder below the delivery
  }

  partition_keys {
    name    = "yyyymm"
    type    = "int"
    comment = "Survey month of the delivery (docs/decisions/0001)"
  }
  partition_keys {
    name    = "facility"
    type    = "string"
    comment = "施設コード of the delivery (docs/decisions/0001)"
  }

  storage_descriptor {
    location      = "s3://${var.data_bucket_name}/${each.value.prefix}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      parameters            = { "serialization.format" = "1" }
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

resource "aws_athena_workgroup" "this" {
  name          = local.name
  description   = "${var.name_prefix} ${var.environment}: dbt's Athena target and QuickSight (learners have their own)"
  state         = "ENABLED"
  force_destroy = var.force_destroy_workgroup

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query
    requester_pays_enabled             = false

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location       = "s3://${var.artifacts_bucket_name}/athena-results/pipeline/"
      expected_bucket_owner = null

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }

      acl_configuration {
        s3_acl_option = "BUCKET_OWNER_FULL_CONTROL"
      }
    }
  }

  tags = var.tags
}

# One workgroup per learner, with their own results prefix (docs/decisions/0019): enforced, so a learner's
# queries cannot write results elsewhere, and nobody else's role may read that prefix.
resource "aws_athena_workgroup" "learner" {
  for_each = toset(var.learners)

  name          = "${local.name}-learner-${each.value}"
  description   = "${var.name_prefix} ${var.environment}: learner ${each.value}"
  state         = "ENABLED"
  force_destroy = var.force_destroy_workgroup

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query
    requester_pays_enabled             = false

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${var.artifacts_bucket_name}/athena-results/learners/${each.value}/"

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }

      acl_configuration {
        s3_acl_option = "BUCKET_OWNER_FULL_CONTROL"
      }
    }
  }

  tags = merge(var.tags, { Learner = each.value })
}
