# Foundation: the platform's customer-managed KMS key, the data and artifacts buckets,
# the CloudTrail trail and the Secrets Manager entries (values are put out of band, never in state).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  data_bucket_name      = "${var.name_prefix}-data-${var.environment}${var.bucket_suffix}"
  artifacts_bucket_name = "${var.name_prefix}-artifacts-${var.environment}${var.bucket_suffix}"
  trail_name            = "${var.name_prefix}-${var.environment}"
  trail_arn             = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"
  cloudtrail_prefix     = "cloudtrail"

  root_arn           = "arn:${local.partition}:iam::${local.account_id}:root"
  service_role_arns  = [for n in var.service_role_names : "arn:${local.partition}:iam::${local.account_id}:role/${n}"]
  pipeline_role_arns = [for n in var.pipeline_role_names : "arn:${local.partition}:iam::${local.account_id}:role/${n}"]
  manifest_role_arns = [for n in var.manifest_reader_role_names : "arn:${local.partition}:iam::${local.account_id}:role/${n}"]
  # Every object write and delete an upload client can make under raw/ (multipart parts are s3:PutObject).
  raw_write_actions = [
    "s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectVersionAcl", "s3:PutObjectTagging", "s3:PutObjectVersionTagging",
    "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:DeleteObject", "s3:DeleteObjectVersion",
    "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging", "s3:AbortMultipartUpload", "s3:RestoreObject",
  ]

  # Prefixes of the data bucket (docs/decisions/0002): raw/ holds delivered files with clear identifiers.
  data_prefixes      = ["raw/", "stage/", "processed/", "archive/"]
  artifacts_prefixes = ["dbt-artifacts/", "docs/", "athena-results/", "${local.cloudtrail_prefix}/"]

  kms_use_actions = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
  ]
}

# ---------------------------------------------------------------------------------------------
# KMS: one customer-managed key with rotation, used by S3, Redshift, Secrets Manager, SNS,
# CloudWatch Logs and CloudTrail.
# ---------------------------------------------------------------------------------------------
resource "aws_kms_key" "this" {
  description             = "${var.name_prefix} ${var.environment}: platform data key (S3, Redshift, Secrets Manager, SNS, Logs, CloudTrail)"
  enable_key_rotation     = true
  rotation_period_in_days = var.kms_rotation_period_days
  deletion_window_in_days = 30
  policy                  = jsonencode(local.key_policy)
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = var.kms_alias
  target_key_id = aws_kms_key.this.key_id
}

# The cross-facility link key (docs/pseudonymisation.md): an HMAC key, so that the MAC of a patient's birth date,
# kana name and sex is computed inside KMS and the key never leaves it. An encryption key cannot compute a MAC, so
# this is the one key beside alias/dpc-learning-kms (docs/decisions/0003). Only the normalise task may use it
# (role-dbt-runner: kms:GenerateMac, granted in the iam module).
resource "aws_kms_key" "link" {
  #checkov:skip=CKV_AWS_7:KMS cannot rotate HMAC keys automatically; the link key rotates by chained re-keying (docs/pseudonymisation.md §6), because the raw K files it was computed from are deleted.
  description              = "${var.name_prefix} ${var.environment}: cross-facility link key (HMAC, K生成用データ)"
  customer_master_key_spec = "HMAC_256"
  key_usage                = "GENERATE_VERIFY_MAC"
  deletion_window_in_days  = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Account root keeps the key manageable; the normalise role's IAM policy grants kms:GenerateMac.
        Sid       = "EnableIamPolicies"
        Effect    = "Allow"
        Principal = { AWS = local.root_arn }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
  tags = var.tags
}

resource "aws_kms_alias" "link" {
  name          = var.link_key_alias
  target_key_id = aws_kms_key.link.key_id
}

locals {
  key_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          # Account root keeps the key manageable; IAM policies of the roles grant the actual use.
          Sid       = "EnableIamPolicies"
          Effect    = "Allow"
          Principal = { AWS = local.root_arn }
          Action    = "kms:*"
          Resource  = "*"
        },
      ],
      length(var.key_administrator_arns) == 0 ? [] : [
        {
          Sid       = "KeyAdministrators"
          Effect    = "Allow"
          Principal = { AWS = var.key_administrator_arns }
          Action = [
            "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
            "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
            "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
          ]
          Resource = "*"
        },
      ],
      [
        {
          # The service roles as key users. Matched by ARN condition so the key can exist before the roles.
          Sid       = "ServiceRolesUseKey"
          Effect    = "Allow"
          Principal = { AWS = local.root_arn }
          Action    = local.kms_use_actions
          Resource  = "*"
          Condition = { ArnLike = { "aws:PrincipalArn" = local.service_role_arns } }
        },
        {
          Sid       = "ServiceRolesGrantsForAwsServices"
          Effect    = "Allow"
          Principal = { AWS = local.root_arn }
          Action    = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
          Resource  = "*"
          Condition = {
            ArnLike = { "aws:PrincipalArn" = local.service_role_arns }
            Bool    = { "kms:GrantIsForAWSResource" = "true" }
          }
        },
        {
          Sid       = "CloudWatchLogs"
          Effect    = "Allow"
          Principal = { Service = "logs.${local.region}.amazonaws.com" }
          Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
          Resource  = "*"
          Condition = {
            ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*" }
          }
        },
        {
          Sid       = "CloudTrailEncryptLogs"
          Effect    = "Allow"
          Principal = { Service = "cloudtrail.amazonaws.com" }
          Action    = "kms:GenerateDataKey*"
          Resource  = "*"
          Condition = {
            StringEquals = { "aws:SourceArn" = local.trail_arn }
            StringLike   = { "kms:EncryptionContext:aws:cloudtrail:arn" = "arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*" }
          }
        },
        {
          Sid       = "CloudTrailDescribeKey"
          Effect    = "Allow"
          Principal = { Service = "cloudtrail.amazonaws.com" }
          Action    = "kms:DescribeKey"
          Resource  = "*"
        },
        {
          # CloudWatch alarms and AWS Budgets publish to the KMS-encrypted SNS topic.
          Sid       = "AlarmAndBudgetPublishers"
          Effect    = "Allow"
          Principal = { Service = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"] }
          Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
        },
      ],
    )
  }
}

# ---------------------------------------------------------------------------------------------
# Data bucket: raw/ stage/ processed/ archive/
# ---------------------------------------------------------------------------------------------
resource "aws_s3_bucket" "data" {
  #checkov:skip=CKV_AWS_144:Single-region platform by design (docs/decisions/0013, cost); deliveries stay re-uploadable from the hospitals and archive/ is versioned.
  #checkov:skip=CKV_AWS_18:Object-level access to every object is recorded by the CloudTrail trail's S3 data events on this bucket (aws_cloudtrail.this, read and write); one audit trail by design.
  bucket        = local.data_bucket_name
  force_destroy = var.force_destroy_buckets
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "data" {
  bucket = aws_s3_bucket.data.id

  rule {
    id     = "archive-to-deep-archive"
    status = "Enabled"
    filter {
      prefix = "archive/"
    }
    transition {
      days          = var.archive_transition_days
      storage_class = "DEEP_ARCHIVE"
    }
  }

  rule {
    id     = "expire-noncurrent-and-abort-multipart"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.data]
}

# EventBridge notifications: the pipeline's optional "manifest uploaded" rule listens to these.
resource "aws_s3_bucket_notification" "data" {
  count       = var.s3_eventbridge_notifications ? 1 : 0
  bucket      = aws_s3_bucket.data.id
  eventbridge = true
}

resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.data.arn, "${aws_s3_bucket.data.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        # SSE-KMS with the platform key on every upload: no SSE-S3 or DSSE header ...
        Sid       = "DenyNonKmsUploads"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.data.arn}/*"
        Condition = { StringNotEqualsIfExists = { "s3:x-amz-server-side-encryption" = "aws:kms" } }
      },
      {
        # ... no other KMS key ...
        Sid       = "DenyForeignKeyUploads"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.data.arn}/*"
        Condition = { StringNotEqualsIfExists = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = aws_kms_key.this.arn } }
      },
      {
        # ... and no "aws:kms" without a key id, which S3 would encrypt with the AWS managed aws/s3 key. An upload
        # without any encryption header gets the bucket default: SSE-KMS with the platform key (bucket key on).
        Sid       = "DenyKmsUploadsWithoutPlatformKeyId"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.data.arn}/*"
        Condition = {
          StringEquals = { "s3:x-amz-server-side-encryption" = "aws:kms" }
          Null         = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = "true" }
        }
      },
      {
        # Deliveries are written and deleted under raw/ only from the configured source networks — every write and
        # delete action, not only PutObject. The normalise task (public subnets, no fixed address) is exempt: its
        # IAM policy lets it delete the raw K files alone (docs/pseudonymisation.md) and write nothing under raw/.
        Sid       = "DenyRawWritesFromOtherNetworks"
        Effect    = "Deny"
        Principal = "*"
        Action    = local.raw_write_actions
        Resource  = "${aws_s3_bucket.data.arn}/raw/*"
        Condition = {
          NotIpAddress = { "aws:SourceIp" = var.upload_source_cidrs }
          Bool         = { "aws:ViaAWSService" = "false" }
          ArnNotLike   = { "aws:PrincipalArn" = local.pipeline_role_arns }
        }
      },
      {
        # raw/ and archive/ hold clear identifiers: their files are readable by the normalise task alone; the
        # manifest readers (dispatch, validate-manifest) are denied below on everything but manifests
        # (docs/decisions/0003, 0019).
        Sid       = "RawReadableNormaliseOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:RestoreObject"]
        Resource  = ["${aws_s3_bucket.data.arn}/raw/*", "${aws_s3_bucket.data.arn}/archive/*"]
        Condition = {
          ArnNotLike = { "aws:PrincipalArn" = concat(local.pipeline_role_arns, local.manifest_role_arns) }
        }
      },
      {
        Sid         = "ManifestReadersReadManifestsOnly"
        Effect      = "Deny"
        Principal   = "*"
        Action      = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:RestoreObject"]
        NotResource = ["${aws_s3_bucket.data.arn}/raw/*/manifest.json", "${aws_s3_bucket.data.arn}/state/deleted/*"]
        Condition = {
          ArnLike = { "aws:PrincipalArn" = local.manifest_role_arns }
        }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.data]
}

# ---------------------------------------------------------------------------------------------
# Artifacts bucket: dbt-artifacts/ docs/ athena-results/ cloudtrail/
# ---------------------------------------------------------------------------------------------
resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_144:Single-region platform by design (docs/decisions/0013, cost); artifacts are rebuilt by the next run.
  #checkov:skip=CKV_AWS_18:Object-level access to dbt-artifacts/, docs/ and athena-results/ is recorded by the CloudTrail trail's S3 data events (aws_cloudtrail.this); cloudtrail/ holds the trail's own log files, written by CloudTrail alone and checked by log file validation. One audit trail by design.
  bucket        = local.artifacts_bucket_name
  force_destroy = var.force_destroy_buckets
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    id     = "expire-athena-results"
    status = "Enabled"
    filter {
      prefix = "athena-results/"
    }
    expiration {
      days = var.athena_results_expiration_days
    }
  }

  rule {
    id     = "expire-noncurrent-and-abort-multipart"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

resource "aws_s3_bucket_notification" "artifacts" {
  count       = var.s3_eventbridge_notifications ? 1 : 0
  bucket      = aws_s3_bucket.artifacts.id
  eventbridge = true
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "CloudTrailAclCheck"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:GetBucketAcl"
        Resource  = aws_s3_bucket.artifacts.arn
        Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn } }
      },
      {
        Sid       = "CloudTrailWrite"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.artifacts.arn}/${local.cloudtrail_prefix}/AWSLogs/${local.account_id}/*"
        Condition = {
          StringEquals = {
            "s3:x-amz-acl"  = "bucket-owner-full-control"
            "aws:SourceArn" = local.trail_arn
          }
        }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

# ---------------------------------------------------------------------------------------------
# CloudTrail: management events plus S3 data events on the data bucket, KMS-encrypted prefix.
# ---------------------------------------------------------------------------------------------
resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV_AWS_252:Per-log-file SNS notifications are noise; operational alerts go through the pipeline's alarms and the budget (cost guard).
  #checkov:skip=CKV2_AWS_10:Trail logs are kept in the KMS-encrypted S3 prefix and queried with Athena; no CloudWatch Logs copy (cost).
  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.artifacts.id
  s3_key_prefix                 = local.cloudtrail_prefix
  kms_key_id                    = aws_kms_key.this.arn
  enable_log_file_validation    = true
  is_multi_region_trail         = true
  include_global_service_events = true

  event_selector {
    read_write_type           = "All"
    include_management_events = true

    data_resource {
      type = "AWS::S3::Object"
      # the whole data bucket, and the artifacts bucket but for cloudtrail/ (the trail's own log files: logging
      # their writes would log itself; log file validation covers their integrity)
      values = concat(["${aws_s3_bucket.data.arn}/"], [for p in local.artifacts_prefixes : "${aws_s3_bucket.artifacts.arn}/${p}" if p != "${local.cloudtrail_prefix}/"])
    }
  }

  tags       = var.tags
  depends_on = [aws_s3_bucket_policy.artifacts]
}

# ---------------------------------------------------------------------------------------------
# Secrets Manager: entries only. Values are put with the CLI (docs/deploy.md) so they never sit in state.
# ---------------------------------------------------------------------------------------------
resource "aws_secretsmanager_secret" "pseudonymisation_key" {
  #checkov:skip=CKV2_AWS_57:Rotating the pseudonymisation key means re-normalising every delivery and a full refresh (docs/decisions/0003): a documented manual procedure, not a Lambda rotation.
  name                    = "${var.name_prefix}/${var.environment}/pseudonymisation-key"
  description             = "HMAC-SHA256 key of the normaliser's pseudonymisation (docs/decisions/0003). Never rendered into SQL."
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret" "slack_webhook" {
  #checkov:skip=CKV2_AWS_57:A Slack incoming-webhook URL is rotated in Slack by its owner, not by a rotation Lambda.
  name                    = "${var.name_prefix}/${var.environment}/slack-webhook"
  description             = "Slack incoming-webhook URL used by the notify Lambda."
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = var.tags
}
