mock_provider "aws" {
  source = "../tests/mocks"
}

run "state_bucket_and_lock_table" {
  command = apply

  assert {
    condition     = aws_s3_bucket.state.bucket == "dpc-learning-tfstate" && aws_dynamodb_table.lock.name == "terraform-lock" && aws_dynamodb_table.lock.hash_key == "LockID"
    error_message = "State bucket dpc-learning-tfstate and lock table terraform-lock."
  }
  assert {
    condition     = aws_kms_key.state.enable_key_rotation && one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    error_message = "State is KMS-encrypted with a rotating key."
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.state.restrict_public_buckets && aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "State bucket is private and versioned."
  }

  # CKV_AWS_18 is met, not skipped: the state bucket logs object access to its own SSE-S3 log bucket, which only
  # the S3 logging service of that state bucket may write to.
  assert {
    condition = (aws_s3_bucket_logging.state.target_bucket == aws_s3_bucket.state_logs.id &&
      one([for s in jsondecode(aws_s3_bucket_policy.state_logs.policy).Statement : s.Principal.Service if s.Sid == "S3ServerAccessLogs"]) == "logging.s3.amazonaws.com" &&
    aws_s3_bucket_public_access_block.state_logs.restrict_public_buckets)
    error_message = "The state bucket's server access logs go to its private log bucket."
  }
}
