mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name_prefix           = "dpc-learning"
  environment           = "dev"
  data_bucket_name      = "dpc-learning-data-dev"
  artifacts_bucket_name = "dpc-learning-artifacts-dev"
  kms_key_arn           = "arn:aws:kms:ap-northeast-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  learners              = ["alice", "bob"]
}

run "catalog_and_workgroup" {
  command = apply

  assert {
    condition     = toset(values(output.database_names)) == toset(["dpc_dev_raw", "dpc_dev_stage", "dpc_dev_internal", "dpc_dev_mart_build", "dpc_dev_mart", "dpc_dev_ref", "dpc_dev_dq"])
    error_message = "One Glue database per layer."
  }
  assert {
    condition     = toset(output.raw_table_names) == toset(["ff1", "ff4", "h", "efn", "efg", "d", "k", "quarantine_ff1", "quarantine_ff4", "quarantine_h", "quarantine_efn", "quarantine_efg", "quarantine_d", "quarantine_k"])
    error_message = "One raw table per kind and per kind's quarantine."
  }
  assert {
    condition = (aws_glue_catalog_table.raw["efn"].storage_descriptor[0].location == "s3://dpc-learning-data-dev/stage/efn/" &&
      length([for k, v in aws_glue_catalog_table.raw["efn"].parameters : k if startswith(k, "projection.")]) == 0 &&
    !contains(keys(aws_glue_catalog_table.raw["efn"].parameters), "storage.location.template"))
    error_message = "No partition projection: partitions are registered per recorded load (docs/decisions/0011)."
  }
  assert {
    condition     = [for k in aws_glue_catalog_table.raw["d"].partition_keys : k.name] == ["yyyymm", "facility"]
    error_message = "Partitions are yyyymm and facility."
  }
  assert {
    condition     = !contains([for c in aws_glue_catalog_table.raw["ff1"].storage_descriptor[0].columns : c.name], "data_id")
    error_message = "Only the pseudonymous key reaches the catalog."
  }
  assert {
    condition = length(setintersection(toset([for c in aws_glue_catalog_table.raw["k"].storage_descriptor[0].columns : c.name]),
    toset(["data_id", "kana_name", "birth_date", "insurer_no", "insured_symbol", "insured_number", "branch_no"]))) == 0
    error_message = "K生成用データ's direct identifiers never reach the catalog (only the link key)."
  }
  assert {
    condition = (aws_athena_workgroup.this.name == "dpc-learning-dev" && aws_athena_workgroup.this.configuration[0].enforce_workgroup_configuration &&
      aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_KMS" &&
    aws_athena_workgroup.this.configuration[0].bytes_scanned_cutoff_per_query == 10737418240)
    error_message = "Athena workgroup enforces KMS results and a bytes-scanned cutoff."
  }
  # The pipeline's results and each learner's are separate prefixes, each learner in their own enforced workgroup.
  assert {
    condition = (aws_athena_workgroup.this.configuration[0].result_configuration[0].output_location == "s3://dpc-learning-artifacts-dev/athena-results/pipeline/" &&
      output.learner_workgroups == {
        alice = { name = "dpc-learning-dev-learner-alice", arn = aws_athena_workgroup.learner["alice"].arn, results = "s3://dpc-learning-artifacts-dev/athena-results/learners/alice/" }
        bob   = { name = "dpc-learning-dev-learner-bob", arn = aws_athena_workgroup.learner["bob"].arn, results = "s3://dpc-learning-artifacts-dev/athena-results/learners/bob/" }
      } &&
      alltrue([for w in aws_athena_workgroup.learner : w.configuration[0].enforce_workgroup_configuration &&
        w.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_KMS" &&
    w.configuration[0].bytes_scanned_cutoff_per_query == 10737418240]))
    error_message = "Each learner has an enforced, KMS-encrypted workgroup with their own results prefix, apart from the pipeline's."
  }
}

run "names_from_name_prefix" {
  command = plan

  variables {
    name_prefix = "acme-dpc"
  }

  assert {
    condition     = aws_athena_workgroup.this.name == "acme-dpc-dev" && output.athena_workgroup_name == "acme-dpc-dev"
    error_message = "The Athena workgroup is named from name_prefix."
  }
}
