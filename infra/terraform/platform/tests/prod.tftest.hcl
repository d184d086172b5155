# The platform with the prod values. Run with them (tests/python/test_terraform.py does):
#   terraform test -var-file=../environments/prod.tfvars -filter=tests/prod.tftest.hcl
# Asserts what must differ in production: deletion protection on, nothing force-destroyed — from the defaults,
# which prod.tfvars leaves alone, and enforced by the variables' validations, which refuse prod values that opt out.
# What does not depend on the environment's values (QuickSight behind its variables) is tested by dev.tftest.hcl.

mock_provider "aws" {
  source = "../tests/mocks"
}

# The account's default VPC with one default subnet per AZ (docs/decisions/0013).
override_data {
  target = data.aws_vpc.this
  values = {
    id         = "vpc-0123456789abcdef0"
    cidr_block = "172.31.0.0/16"
  }
}

override_data {
  target = data.aws_subnets.default_for_az
  values = {
    ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0ccccccccccccccc1", "subnet-0ddddddddddddddd1"]
  }
}

variables {
  lambda_source_dir    = "../modules/pipeline/tests/fixtures/lambdas"
  build_lambda_package = false
}

run "plan_prod_values" {
  command = plan

  assert {
    condition     = var.environment == "prod" && output.environment == "prod"
    error_message = "Run with -var-file=../environments/prod.tfvars."
  }
  assert {
    condition     = output.data_bucket == "dpc-learning-data-prod" && output.artifacts_bucket == "dpc-learning-artifacts-prod"
    error_message = "Bucket names per environment."
  }
  assert {
    condition     = output.protection.deliveries_table_deletion_protection == true
    error_message = "prod: the deliveries table keeps deletion protection."
  }
  assert {
    condition     = output.protection.buckets_force_destroy == { data = false, artifacts = false }
    error_message = "prod: terraform destroy must not empty the buckets."
  }
  assert {
    condition     = output.protection.athena_workgroup_force_destroy == false && output.protection.ecr_force_delete == false
    error_message = "prod: terraform destroy must not force-delete the Athena workgroup or the ECR repository."
  }
}

run "apply_whole_root_offline" {
  command = apply

  assert {
    condition     = output.redshift_workgroup == "dpc-learning-prod" && output.athena_workgroup == "dpc-learning-prod"
    error_message = "Workgroups named per environment."
  }
  assert {
    condition     = length(output.lambda_function_names) == 9 && output.lambda_function_names["dispatch"] == "dpc-prod-dispatch"
    error_message = "All nine Lambdas deployed."
  }
  assert {
    condition     = output.quicksight_dataset_arns == {}
    error_message = "QuickSight is off unless enabled."
  }
  assert {
    condition = output.protection == {
      deliveries_table_deletion_protection = true
      buckets_force_destroy                = { data = false, artifacts = false }
      athena_workgroup_force_destroy       = false
      ecr_force_delete                     = false
    }
    error_message = "prod: protected after apply too."
  }
}

# prod cannot opt out of any protection.
run "prod_refuses_no_deletion_protection" {
  command = plan

  variables {
    deletion_protection = false
  }

  expect_failures = [var.deletion_protection]
}

run "prod_refuses_force_destroy_buckets" {
  command = plan

  variables {
    force_destroy_buckets = true
  }

  expect_failures = [var.force_destroy_buckets]
}

run "prod_refuses_force_destroy_workgroup" {
  command = plan

  variables {
    force_destroy_workgroup = true
  }

  expect_failures = [var.force_destroy_workgroup]
}

run "prod_refuses_ecr_force_delete" {
  command = plan

  variables {
    ecr_force_delete = true
  }

  expect_failures = [var.ecr_force_delete]
}

# The protection comes from the defaults, not from the name prod: a new environment whose values say nothing
# about it is protected too.
run "new_environment_is_protected_by_default" {
  command = plan

  variables {
    environment = "staging"
  }

  assert {
    condition = output.protection == {
      deliveries_table_deletion_protection = true
      buckets_force_destroy                = { data = false, artifacts = false }
      athena_workgroup_force_destroy       = false
      ecr_force_delete                     = false
    }
    error_message = "Every environment is protected unless its values opt out."
  }
}
