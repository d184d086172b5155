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

  # The upload network condition is on every write and delete action under raw/, not only PutObject; only the
  # normalise role (which may delete the raw K files alone) is exempt.
  assert {
    condition = anytrue([for s in jsondecode(aws_s3_bucket_policy.data.policy).Statement :
      try(s.Sid == "DenyRawWritesFromOtherNetworks" && s.Effect == "Deny" && s.Principal == "*" &&
        s.Resource == "${aws_s3_bucket.data.arn}/raw/*" &&
        s.Condition.NotIpAddress["aws:SourceIp"] == ["192.0.2.0/24"] &&
        s.Condition.ArnNotLike["aws:PrincipalArn"] == ["arn:aws:iam::123456789012:role/role-normalise-dpc"] &&
        length(setsubtract(toset(["s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectVersionAcl", "s3:PutObjectTagging", "s3:PutObjectVersionTagging",
          "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteObjectTagging",
        "s3:DeleteObjectVersionTagging", "s3:AbortMultipartUpload"]), toset(s.Action))) == 0,
    false)])
    error_message = "Every write and delete under raw/ (put, ACL, tagging, retention, delete, multipart) must carry the upload network condition."
  }
  # No Allow in the bucket policy grants a write anywhere without it (the only Allows are CloudTrail's, on the
  # artifacts bucket).
  assert {
    condition     = length([for s in jsondecode(aws_s3_bucket_policy.data.policy).Statement : s if s.Effect == "Allow"]) == 0
    error_message = "The data bucket policy only denies; writes are granted by the roles' IAM policies."
  }

  # SSE-KMS with the platform key on every PutObject: another algorithm, another key, or aws:kms without a key id
  # (which S3 would encrypt with aws/s3) is denied; no header at all gets the bucket default (the platform key).
  assert {
    condition = (one([for s in jsondecode(aws_s3_bucket_policy.data.policy).Statement : s.Condition.StringNotEqualsIfExists["s3:x-amz-server-side-encryption"]
      if s.Sid == "DenyNonKmsUploads" && s.Effect == "Deny" && s.Action == "s3:PutObject" && try(s.Resource, "") == "${aws_s3_bucket.data.arn}/*"]) == "aws:kms" &&
      one([for s in jsondecode(aws_s3_bucket_policy.data.policy).Statement : s.Condition.StringNotEqualsIfExists["s3:x-amz-server-side-encryption-aws-kms-key-id"]
      if s.Sid == "DenyForeignKeyUploads" && s.Effect == "Deny" && s.Action == "s3:PutObject" && try(s.Resource, "") == "${aws_s3_bucket.data.arn}/*"]) == aws_kms_key.this.arn &&
      one([for s in jsondecode(aws_s3_bucket_policy.data.policy).Statement : s.Condition
        if s.Sid == "DenyKmsUploadsWithoutPlatformKeyId" && s.Effect == "Deny" && s.Action == "s3:PutObject"]) == {
        StringEquals = { "s3:x-amz-server-side-encryption" = "aws:kms" }
        Null         = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = "true" }
      } &&
    one(aws_s3_bucket_server_side_encryption_configuration.data.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == aws_kms_key.this.arn)
    error_message = "Every upload must be SSE-KMS with the platform key (deny other algorithms, other keys, aws:kms without key id)."
  }

  # raw/ and archive/ files are readable by the normalise role alone; dispatch and validate-manifest read
  # manifests and deletion records only.
  assert {
    condition = anytrue([for s in jsondecode(aws_s3_bucket_policy.data.policy).Statement :
      try(s.Sid == "RawReadableNormaliseOnly" && s.Effect == "Deny" &&
        s.Condition.ArnNotLike["aws:PrincipalArn"] == ["arn:aws:iam::123456789012:role/role-normalise-dpc",
    "arn:aws:iam::123456789012:role/role-lambda-dispatch-dpc", "arn:aws:iam::123456789012:role/role-lambda-validate-dpc"], false)])
    error_message = "raw/ must be readable by the normalise role (and, for manifests, the two manifest readers) alone."
  }
  assert {
    condition = anytrue([for s in jsondecode(aws_s3_bucket_policy.data.policy).Statement :
      try(s.Sid == "ManifestReadersReadManifestsOnly" && s.Effect == "Deny" &&
        s.NotResource == ["${aws_s3_bucket.data.arn}/raw/*/manifest.json", "${aws_s3_bucket.data.arn}/state/deleted/*"] &&
    s.Condition.ArnLike["aws:PrincipalArn"] == ["arn:aws:iam::123456789012:role/role-lambda-dispatch-dpc", "arn:aws:iam::123456789012:role/role-lambda-validate-dpc"], false)])
    error_message = "The manifest readers must be denied every other object of the data bucket."
  }

  # CKV_AWS_18's skip reason: object-level access to both buckets is in the trail's data events (all of the data
  # bucket; the artifacts bucket but for the trail's own cloudtrail/ prefix).
  assert {
    condition = toset(one(one(aws_cloudtrail.this.event_selector).data_resource).values) == toset([
      "${aws_s3_bucket.data.arn}/", "${aws_s3_bucket.artifacts.arn}/dbt-artifacts/", "${aws_s3_bucket.artifacts.arn}/docs/",
    "${aws_s3_bucket.artifacts.arn}/athena-results/"])
    error_message = "The trail must record S3 data events on the data bucket and the artifacts bucket's prefixes."
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
