# The platform with the dev values. Run with them (tests/python/test_terraform.py does):
#   terraform test -var-file=../environments/dev.tfvars -filter=tests/dev.tftest.hcl

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

run "plan_dev_values" {
  command = plan

  assert {
    condition     = var.environment == "dev" && output.environment == "dev"
    error_message = "Run with -var-file=../environments/dev.tfvars."
  }
  assert {
    condition     = output.data_bucket == "dpc-learning-data-dev" && output.artifacts_bucket == "dpc-learning-artifacts-dev"
    error_message = "Bucket names per environment."
  }
  # dev.tfvars opts out of the protections explicitly, so the environment tears down cleanly.
  assert {
    condition = output.protection == {
      deliveries_table_deletion_protection = false
      buckets_force_destroy                = { data = true, artifacts = true }
      athena_workgroup_force_destroy       = true
      ecr_force_delete                     = true
    }
    error_message = "dev: no deletion protection, buckets, workgroup and ECR force-destroyed."
  }
}

# The whole root, with two learners: per-learner identities across the modules (the role's Athena grant is the
# workgroup glue_athena creates, whose results prefix is the learner's own, neither the pipeline's nor another's).
run "apply_whole_root_offline" {
  command = apply

  variables {
    learners = {
      alice = []
      bob   = ["arn:aws:iam::123456789012:role/AWSReservedSSO_learner-bob_0123456789abcdef"]
    }
  }

  assert {
    condition     = output.redshift_workgroup == "dpc-learning-dev" && output.athena_workgroup == "dpc-learning-dev"
    error_message = "Workgroups named per environment."
  }
  assert {
    condition     = length(output.lambda_function_names) == 9 && output.lambda_function_names["dispatch"] == "dpc-dev-dispatch"
    error_message = "All nine Lambdas deployed."
  }
  assert {
    condition     = output.quicksight_dataset_arns == {}
    error_message = "QuickSight is off unless enabled."
  }
  assert {
    condition = alltrue([for l, v in output.learners :
      v.redshift_user == "IAMR:role-learner-dpc-${l}" && v.athena_workgroup == "dpc-learning-dev-learner-${l}" &&
      v.athena_results == "s3://dpc-learning-artifacts-dev/athena-results/learners/${l}/" &&
      v.sandbox_sql == "CALL dq.create_learner_sandbox('${l}', 'IAMR:role-learner-dpc-${l}');" &&
      one([for s in jsondecode(module.iam.learner_policies[l]).Statement : s.Resource if s.Sid == "OwnAthenaWorkgroup"]) == "arn:aws:athena:ap-northeast-1:123456789012:workgroup/${v.athena_workgroup}" &&
    one([for s in jsondecode(module.iam.learner_policies[l]).Statement : s.Resource if s.Sid == "OwnAthenaResults"]) == ["${module.foundation.artifacts_bucket_arn}/athena-results/learners/${l}/*"]])
    error_message = "Each learner: own role, Redshift user, sandbox SQL, Athena workgroup and results prefix, consistent across modules."
  }
  assert {
    condition     = length(distinct([for l, v in output.learners : v.athena_results])) == 2 && !contains([for l, v in output.learners : v.athena_results], "s3://dpc-learning-artifacts-dev/athena-results/pipeline/")
    error_message = "Learners' results prefixes are neither shared nor the pipeline's."
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

# The modules take their names from the composition's name_prefix; none hard-codes the design's dpc-learning.
run "names_follow_name_prefix" {
  command = plan

  variables {
    name_prefix = "acme-dpc"
  }

  assert {
    condition = (output.data_bucket == "acme-dpc-data-dev" && output.artifacts_bucket == "acme-dpc-artifacts-dev" &&
    output.redshift_workgroup == "acme-dpc-dev" && output.athena_workgroup == "acme-dpc-dev")
    error_message = "The modules name their resources from name_prefix (the pipeline and iam suites check theirs)."
  }
}
