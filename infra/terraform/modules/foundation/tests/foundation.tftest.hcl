mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name_prefix         = "dpc-learning"
  environment         = "dev"
  upload_source_cidrs = ["192.0.2.0/24"]
}

run "secure_storage_and_keys" {
  command = apply

  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_alias.this.name == "alias/dpc-learning-kms"
    error_message = "KMS key must rotate and carry alias/dpc-learning-kms."
  }

  assert {
    condition = (aws_kms_key.link.customer_master_key_spec == "HMAC_256" && aws_kms_key.link.key_usage == "GENERATE_VERIFY_MAC" &&
    aws_kms_alias.link.name == "alias/dpc-learning-link-key" && output.link_key_arn == aws_kms_key.link.arn)
    error_message = "The link key is an HMAC key of its own (it never leaves KMS)."
  }

  assert {
    condition     = aws_s3_bucket.data.bucket == "dpc-learning-data-dev" && aws_s3_bucket.artifacts.bucket == "dpc-learning-artifacts-dev"
    error_message = "Bucket names must follow the design."
  }

  assert {
    condition = alltrue([for c in [aws_s3_bucket_server_side_encryption_configuration.data, aws_s3_bucket_server_side_encryption_configuration.artifacts] :
      one(c.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" && one(c.rule).bucket_key_enabled
    ])
    error_message = "Both buckets must use SSE-KMS with bucket keys."
  }

  assert {
    condition = alltrue([for b in [aws_s3_bucket_public_access_block.data, aws_s3_bucket_public_access_block.artifacts] :
    b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets])
    error_message = "Public access must be blocked on both buckets."
  }

  assert {
    condition = anytrue([for r in aws_s3_bucket_lifecycle_configuration.data.rule :
    try(r.filter[0].prefix == "archive/" && one(r.transition).storage_class == "DEEP_ARCHIVE", false)])
    error_message = "archive/ must transition to Glacier Deep Archive."
  }

  assert {
    condition = anytrue([for s in jsondecode(aws_s3_bucket_policy.data.policy).Statement :
    try(s.Sid == "DenyRawUploadsFromOtherNetworks" && s.Effect == "Deny" && s.Condition.NotIpAddress["aws:SourceIp"] == ["192.0.2.0/24"], false)])
    error_message = "raw/ uploads must be limited to the configured CIDRs."
  }

  assert {
    condition = anytrue([for s in jsondecode(aws_s3_bucket_policy.data.policy).Statement :
      try(s.Sid == "RawReadablePipelineRolesOnly" && s.Effect == "Deny" &&
    s.Condition.ArnNotLike["aws:PrincipalArn"] == ["arn:aws:iam::123456789012:role/role-lambda-dpc", "arn:aws:iam::123456789012:role/role-dbt-runner"], false)])
    error_message = "raw/ must be readable by the pipeline roles alone."
  }

  assert {
    condition     = aws_cloudtrail.this.kms_key_id == aws_kms_key.this.arn && aws_cloudtrail.this.enable_log_file_validation && aws_cloudtrail.this.s3_key_prefix == "cloudtrail"
    error_message = "CloudTrail must write KMS-encrypted, validated logs under cloudtrail/."
  }

  assert {
    condition = (aws_secretsmanager_secret.pseudonymisation_key.name == "dpc-learning/dev/pseudonymisation-key" &&
      aws_secretsmanager_secret.slack_webhook.name == "dpc-learning/dev/slack-webhook" &&
    aws_secretsmanager_secret.pseudonymisation_key.kms_key_id == aws_kms_key.this.arn)
    error_message = "Secrets must follow the design's names and use the KMS key."
  }

  assert {
    condition = length([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid if contains(
    ["CloudWatchLogs", "CloudTrailEncryptLogs", "AlarmAndBudgetPublishers", "ServiceRolesUseKey"], s.Sid)]) == 4
    error_message = "Key policy must name the service roles and the writing service principals."
  }
}

run "suffix_and_validation" {
  command = plan

  variables {
    bucket_suffix = "-acme"
  }

  assert {
    condition     = aws_s3_bucket.data.bucket == "dpc-learning-data-dev-acme"
    error_message = "bucket_suffix must be appended."
  }
}

run "rejects_empty_cidrs" {
  command = plan

  variables {
    upload_source_cidrs = []
  }

  expect_failures = [var.upload_source_cidrs]
}

# Names come from name_prefix and environment; the KMS aliases keep the design's defaults.
run "names_from_name_prefix" {
  command = plan

  variables {
    name_prefix = "acme-dpc"
    environment = "stg"
  }

  assert {
    condition = (aws_s3_bucket.data.bucket == "acme-dpc-data-stg" && aws_s3_bucket.artifacts.bucket == "acme-dpc-artifacts-stg" &&
      aws_cloudtrail.this.name == "acme-dpc-stg" && aws_secretsmanager_secret.pseudonymisation_key.name == "acme-dpc/stg/pseudonymisation-key" &&
    aws_secretsmanager_secret.slack_webhook.name == "acme-dpc/stg/slack-webhook" && aws_kms_alias.this.name == "alias/dpc-learning-kms")
    error_message = "Bucket, trail and secret names follow name_prefix and environment."
  }
}

run "rejects_bad_name_prefix" {
  command = plan

  variables {
    name_prefix = "DPC_learning"
  }

  expect_failures = [var.name_prefix]
}
