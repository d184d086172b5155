# Redshift Serverless: namespace (KMS, managed admin secret, default IAM role, audit log exports)
# and workgroup (8 RPU, three subnets, not public, own security group, query and usage limits).

locals {
  name = "${var.name_prefix}-${var.environment}"
}

resource "aws_security_group" "redshift" {
  name        = "${local.name}-redshift"
  description = "Redshift Serverless workgroup: 5439 from the dpc-runner only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${local.name}-redshift" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "redshift" {
  for_each = var.allowed_security_groups

  security_group_id            = aws_security_group.redshift.id
  description                  = "Redshift 5439 from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 5439
  to_port                      = 5439
  referenced_security_group_id = each.value
}

resource "aws_redshiftserverless_namespace" "this" {
  namespace_name                   = local.name
  db_name                          = var.database_name
  admin_username                   = var.admin_username
  manage_admin_password            = true
  admin_password_secret_kms_key_id = var.kms_key_arn
  kms_key_id                       = var.kms_key_arn
  iam_roles                        = [var.default_iam_role_arn]
  default_iam_role_arn             = var.default_iam_role_arn
  log_exports                      = ["userlog", "connectionlog", "useractivitylog"]
  tags                             = var.tags

  lifecycle {
    ignore_changes = [iam_roles]
  }
}

resource "aws_redshiftserverless_workgroup" "this" {
  namespace_name       = aws_redshiftserverless_namespace.this.namespace_name
  workgroup_name       = local.name
  base_capacity        = var.base_capacity
  max_capacity         = var.max_capacity
  publicly_accessible  = false
  enhanced_vpc_routing = false
  subnet_ids           = var.subnet_ids
  security_group_ids   = [aws_security_group.redshift.id]

  config_parameter {
    parameter_key   = "require_ssl"
    parameter_value = "true"
  }
  config_parameter {
    parameter_key   = "enable_user_activity_logging"
    parameter_value = "true"
  }
  config_parameter {
    parameter_key   = "max_query_execution_time"
    parameter_value = tostring(var.max_query_execution_time)
  }
  config_parameter {
    parameter_key   = "search_path"
    parameter_value = "$user, public"
  }
  config_parameter {
    parameter_key   = "datestyle"
    parameter_value = "ISO, MDY"
  }
  config_parameter {
    parameter_key   = "enable_case_sensitive_identifier"
    parameter_value = "false"
  }
  config_parameter {
    parameter_key   = "query_group"
    parameter_value = "default"
  }
  config_parameter {
    parameter_key   = "auto_mv"
    parameter_value = "true"
  }

  tags = var.tags
}

resource "aws_redshiftserverless_usage_limit" "rpu_hours" {
  resource_arn  = aws_redshiftserverless_workgroup.this.arn
  usage_type    = "serverless-compute"
  amount        = var.usage_limit_rpu_hours
  period        = "monthly"
  breach_action = var.usage_limit_breach_action
}
