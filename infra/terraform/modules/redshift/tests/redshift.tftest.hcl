mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name_prefix             = "dpc-learning"
  environment             = "dev"
  vpc_id                  = "vpc-0123456789abcdef0"
  subnet_ids              = ["subnet-0a", "subnet-0c", "subnet-0d"]
  allowed_security_groups = { runner = "sg-0runner0000000000" }
  kms_key_arn             = "arn:aws:kms:ap-northeast-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  default_iam_role_arn    = "arn:aws:iam::123456789012:role/role-redshift-copy"
}

run "workgroup_closed_and_bounded" {
  command = apply

  assert {
    condition     = aws_redshiftserverless_workgroup.this.publicly_accessible == false && aws_redshiftserverless_workgroup.this.base_capacity == 8
    error_message = "Workgroup must be private at 8 RPU."
  }
  assert {
    condition     = length(aws_redshiftserverless_workgroup.this.subnet_ids) == 3 && aws_redshiftserverless_workgroup.this.workgroup_name == "dpc-learning-dev"
    error_message = "Workgroup dpc-learning-dev sits in three subnets."
  }
  assert {
    condition     = aws_redshiftserverless_usage_limit.rpu_hours.usage_type == "serverless-compute" && aws_redshiftserverless_usage_limit.rpu_hours.amount == 100
    error_message = "A monthly RPU-hour usage limit must exist."
  }
  assert {
    condition = (length(aws_vpc_security_group_ingress_rule.redshift) == 1 &&
      aws_vpc_security_group_ingress_rule.redshift["runner"].from_port == 5439 &&
      aws_vpc_security_group_ingress_rule.redshift["runner"].to_port == 5439 &&
      aws_vpc_security_group_ingress_rule.redshift["runner"].referenced_security_group_id == "sg-0runner0000000000" &&
    aws_vpc_security_group_ingress_rule.redshift["runner"].cidr_ipv4 == null)
    error_message = "The Redshift SG admits 5439 from the runner SG alone."
  }
  assert {
    condition = (aws_redshiftserverless_namespace.this.manage_admin_password && aws_redshiftserverless_namespace.this.kms_key_id == var.kms_key_arn &&
      aws_redshiftserverless_namespace.this.default_iam_role_arn == var.default_iam_role_arn && aws_redshiftserverless_namespace.this.db_name == "dpc" &&
    contains(aws_redshiftserverless_namespace.this.log_exports, "useractivitylog"))
    error_message = "Namespace: managed admin secret, KMS, COPY role as default, audit log exports."
  }
  assert {
    condition     = anytrue([for p in aws_redshiftserverless_workgroup.this.config_parameter : p.parameter_key == "max_query_execution_time" && p.parameter_value == "1800"])
    error_message = "Learners' queries are bounded by a query time limit."
  }
}

run "needs_three_subnets" {
  command = plan

  variables {
    subnet_ids = ["subnet-0a", "subnet-0c"]
  }

  expect_failures = [var.subnet_ids]
}

run "names_from_name_prefix" {
  command = plan

  variables {
    name_prefix = "acme-dpc"
  }

  assert {
    condition     = aws_redshiftserverless_namespace.this.namespace_name == "acme-dpc-dev" && aws_redshiftserverless_workgroup.this.workgroup_name == "acme-dpc-dev"
    error_message = "Namespace and workgroup are named from name_prefix."
  }
}
