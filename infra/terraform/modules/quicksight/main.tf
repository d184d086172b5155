# QuickSight: the mart through Athena by default; a Redshift data source with a VPC connection
# behind enable_redshift (docs/decisions/0013). Data sets over the published mart tables listed in datasets.json
# (aggregates and dimensions only: their small cells arrive suppressed, docs/decisions/0020); dbt exposures in
# models/mart/_exposures.yml point at them so the lineage graph reaches QuickSight.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  name       = "${var.name_prefix}-${var.environment}"
  redshift   = var.enable_redshift && var.redshift != null

  data_source_actions = [
    "quicksight:DescribeDataSource", "quicksight:DescribeDataSourcePermissions", "quicksight:PassDataSource",
  ]
  data_set_actions = [
    "quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions", "quicksight:PassDataSet",
    "quicksight:DescribeIngestion", "quicksight:ListIngestions",
  ]

  # Data sets: the variable when given, else datasets.json (the file the dbt exposures and pytest check).
  datasets = var.datasets != null ? var.datasets : {
    for table, d in jsondecode(file("${path.module}/datasets.json")) : table => {
      columns    = d.columns
      custom_sql = try(d.custom_sql, false)
    }
  }
  quicksight_types = ["STRING", "INTEGER", "DECIMAL", "DATETIME", "BIT", "BOOLEAN", "JSON"]

  # (engine, table) pairs: every dataset on Athena, and on Redshift too when enabled.
  engines = local.redshift ? ["athena", "redshift"] : ["athena"]
  dataset_instances = merge([
    for engine in local.engines : {
      for table, d in local.datasets : "${engine}-${table}" => merge(d, {
        engine = engine
        table  = table
        schema = engine == "athena" ? var.mart_database : var.redshift_mart_schema
      })
    }
  ]...)
}

resource "aws_quicksight_data_source" "athena" {
  data_source_id = "${local.name}-athena"
  name           = "${local.name} mart (Athena)"
  type           = "ATHENA"

  parameters {
    athena {
      work_group = var.athena_workgroup_name
    }
  }

  ssl_properties {
    disable_ssl = false
  }

  dynamic "permission" {
    for_each = toset(var.principal_arns)
    content {
      principal = permission.value
      actions   = local.data_source_actions
    }
  }

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# Redshift path (optional): VPC connection, its security group and the rule into the workgroup SG.
# ---------------------------------------------------------------------------------------------
resource "aws_security_group" "quicksight" {
  count = local.redshift ? 1 : 0

  name        = "${local.name}-quicksight"
  description = "QuickSight VPC connection to Redshift Serverless"
  vpc_id      = var.redshift.vpc_id
  tags        = merge(var.tags, { Name = "${local.name}-quicksight" })
}

resource "aws_vpc_security_group_egress_rule" "quicksight_to_redshift" {
  count = local.redshift ? 1 : 0

  security_group_id            = aws_security_group.quicksight[0].id
  description                  = "QuickSight to Redshift 5439"
  ip_protocol                  = "tcp"
  from_port                    = var.redshift.port
  to_port                      = var.redshift.port
  referenced_security_group_id = var.redshift.security_group_id
}

resource "aws_vpc_security_group_ingress_rule" "quicksight_return" {
  #checkov:skip=CKV_AWS_24:Source is the Redshift workgroup's security group, not 0.0.0.0/0: QuickSight's VPC-connection SG is not stateful and AWS documents this return rule (docs/decisions/0013).
  #checkov:skip=CKV_AWS_25:Same rule: return traffic from the Redshift security group only.
  #checkov:skip=CKV_AWS_260:Same rule: return traffic from the Redshift security group only.
  count = local.redshift ? 1 : 0

  # QuickSight's ENIs need the return traffic admitted explicitly (its SG is used statelessly).
  security_group_id            = aws_security_group.quicksight[0].id
  description                  = "Return traffic from Redshift"
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
  referenced_security_group_id = var.redshift.security_group_id
}

resource "aws_vpc_security_group_ingress_rule" "redshift_from_quicksight" {
  count = local.redshift ? 1 : 0

  security_group_id            = var.redshift.security_group_id
  description                  = "Redshift 5439 from QuickSight"
  ip_protocol                  = "tcp"
  from_port                    = var.redshift.port
  to_port                      = var.redshift.port
  referenced_security_group_id = aws_security_group.quicksight[0].id
}

resource "aws_iam_role" "vpc_connection" {
  count = local.redshift ? 1 : 0

  name = "role-quicksight-vpc-dpc"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "quicksight.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "vpc_connection" {
  #checkov:skip=CKV_AWS_355:EC2 network-interface create/describe for a QuickSight VPC connection has no resource-level scoping on Describe*; Create/Delete are limited by the VPC condition.
  #checkov:skip=CKV_AWS_290:Same: ENI management for the QuickSight VPC connection (AWS-documented policy), constrained to the VPC by condition.
  count = local.redshift ? 1 : 0

  name = "dpc-quicksight-vpc"
  role = aws_iam_role.vpc_connection[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DescribeNetwork"
        Effect   = "Allow"
        Action   = ["ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"]
        Resource = "*"
      },
      {
        Sid       = "ManageEnisInVpc"
        Effect    = "Allow"
        Action    = ["ec2:CreateNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute", "ec2:DeleteNetworkInterface"]
        Resource  = "*"
        Condition = { StringEquals = { "ec2:Vpc" = "arn:${local.partition}:ec2:*:${local.account_id}:vpc/${var.redshift.vpc_id}" } }
      },
    ]
  })
}

resource "aws_quicksight_vpc_connection" "redshift" {
  count = local.redshift ? 1 : 0

  vpc_connection_id  = "${local.name}-redshift"
  name               = "${local.name} Redshift"
  role_arn           = aws_iam_role.vpc_connection[0].arn
  security_group_ids = [aws_security_group.quicksight[0].id]
  subnet_ids         = var.redshift.subnet_ids
  tags               = var.tags
}

resource "aws_quicksight_data_source" "redshift" {
  count = local.redshift ? 1 : 0

  data_source_id = "${local.name}-redshift"
  name           = "${local.name} mart (Redshift)"
  type           = "REDSHIFT"

  parameters {
    redshift {
      host     = var.redshift.host
      port     = var.redshift.port
      database = var.redshift.database
    }
  }

  credentials {
    secret_arn = var.redshift.secret_arn
  }

  vpc_connection_properties {
    vpc_connection_arn = aws_quicksight_vpc_connection.redshift[0].arn
  }

  ssl_properties {
    disable_ssl = false
  }

  dynamic "permission" {
    for_each = toset(var.principal_arns)
    content {
      principal = permission.value
      actions   = local.data_source_actions
    }
  }

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# Datasets over the mart tables (custom SQL or relational table).
# ---------------------------------------------------------------------------------------------
resource "aws_quicksight_data_set" "mart" {
  for_each = local.dataset_instances

  data_set_id = "${local.name}-${each.value.engine}-${each.value.table}"
  name        = "${each.value.table} (${each.value.engine}, ${var.environment})"
  import_mode = var.import_mode

  physical_table_map {
    physical_table_map_id = replace(each.value.table, "_", "")

    dynamic "relational_table" {
      for_each = each.value.custom_sql ? [] : [1]
      content {
        data_source_arn = each.value.engine == "athena" ? aws_quicksight_data_source.athena.arn : aws_quicksight_data_source.redshift[0].arn
        catalog         = each.value.engine == "athena" ? "AwsDataCatalog" : null
        schema          = each.value.schema
        name            = each.value.table

        dynamic "input_columns" {
          for_each = each.value.columns
          content {
            name = input_columns.key
            type = input_columns.value
          }
        }
      }
    }

    dynamic "custom_sql" {
      for_each = each.value.custom_sql ? [1] : []
      content {
        data_source_arn = each.value.engine == "athena" ? aws_quicksight_data_source.athena.arn : aws_quicksight_data_source.redshift[0].arn
        name            = each.value.table
        sql_query       = "select ${join(", ", sort(keys(each.value.columns)))} from ${each.value.schema}.${each.value.table}"

        dynamic "columns" {
          for_each = each.value.columns
          content {
            name = columns.key
            type = columns.value
          }
        }
      }
    }
  }

  dynamic "permissions" {
    for_each = toset(var.principal_arns)
    content {
      principal = permissions.value
      actions   = local.data_set_actions
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = alltrue([for c, ty in each.value.columns : contains(local.quicksight_types, ty)])
      error_message = "Data set ${each.key}: column types must be QuickSight input types (${join(", ", local.quicksight_types)})."
    }
  }
}
