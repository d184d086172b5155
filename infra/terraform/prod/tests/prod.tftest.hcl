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

run "plan_whole_root" {
  command = plan

  assert {
    condition     = output.data_bucket == "dpc-learning-data-prod" && output.artifacts_bucket == "dpc-learning-artifacts-prod"
    error_message = "Bucket names per environment."
  }
}

run "apply_whole_root_offline" {
  command = apply

  assert {
    condition     = output.redshift_workgroup == "dpc-learning-prod" && output.athena_workgroup == "dpc-learning-prod"
    error_message = "Workgroups named per environment."
  }
  assert {
    condition     = length(output.lambda_function_names) == 8 && output.lambda_function_names["dispatch"] == "dpc-prod-dispatch"
    error_message = "All eight Lambdas deployed."
  }
  assert {
    condition     = output.quicksight_dataset_arns == {}
    error_message = "QuickSight is off unless enabled."
  }
}

run "apply_with_quicksight_and_redshift_source" {
  command = apply

  variables {
    enable_quicksight              = true
    enable_quicksight_redshift     = true
    quicksight_redshift_secret_arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:quicksight-AbCdEf"
  }

  assert {
    condition     = length(output.quicksight_dataset_arns) == 2 * length(jsondecode(file("../modules/quicksight/datasets.json")))
    error_message = "QuickSight datasets on Athena and Redshift."
  }
}
