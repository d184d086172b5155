output "kms_key_arn" {
  description = "ARN of the platform's customer-managed KMS key."
  value       = aws_kms_key.this.arn
}

output "kms_key_id" {
  description = "ID of the platform's customer-managed KMS key."
  value       = aws_kms_key.this.key_id
}

output "link_key_arn" {
  description = "ARN of the HMAC KMS key of the cross-facility link key (the normalise task's DPC_LINK_KMS_KEY_ID)."
  value       = aws_kms_key.link.arn
}

output "kms_alias_name" {
  description = "Alias of the KMS key."
  value       = aws_kms_alias.this.name
}

output "data_bucket_name" {
  description = "Name of the data bucket (prefixes raw/, stage/, processed/, archive/)."
  value       = aws_s3_bucket.data.bucket
}

output "data_bucket_arn" {
  description = "ARN of the data bucket."
  value       = aws_s3_bucket.data.arn
}

output "artifacts_bucket_name" {
  description = "Name of the artifacts bucket (dbt-artifacts/, docs/, athena-results/, cloudtrail/)."
  value       = aws_s3_bucket.artifacts.bucket
}

output "artifacts_bucket_arn" {
  description = "ARN of the artifacts bucket."
  value       = aws_s3_bucket.artifacts.arn
}

output "data_prefixes" {
  description = "Prefixes of the data bucket."
  value       = local.data_prefixes
}

output "artifacts_prefixes" {
  description = "Prefixes of the artifacts bucket."
  value       = local.artifacts_prefixes
}

output "cloudtrail_arn" {
  description = "ARN of the CloudTrail trail."
  value       = aws_cloudtrail.this.arn
}

output "pseudonymisation_key_secret_arn" {
  description = "ARN of the pseudonymisation key secret."
  value       = aws_secretsmanager_secret.pseudonymisation_key.arn
}

output "slack_webhook_secret_arn" {
  description = "ARN of the Slack webhook secret."
  value       = aws_secretsmanager_secret.slack_webhook.arn
}

output "buckets_force_destroy" {
  description = "Whether terraform destroy empties and deletes each bucket (read from the buckets: data, artifacts)."
  value = {
    data      = aws_s3_bucket.data.force_destroy
    artifacts = aws_s3_bucket.artifacts.force_destroy
  }
}
