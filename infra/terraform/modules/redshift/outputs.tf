output "namespace_name" {
  description = "Name of the Redshift Serverless namespace."
  value       = aws_redshiftserverless_namespace.this.namespace_name
}

output "namespace_arn" {
  description = "ARN of the namespace."
  value       = aws_redshiftserverless_namespace.this.arn
}

output "workgroup_name" {
  description = "Name of the workgroup (the Data API's WorkgroupName)."
  value       = aws_redshiftserverless_workgroup.this.workgroup_name
}

output "workgroup_arn" {
  description = "ARN of the workgroup."
  value       = aws_redshiftserverless_workgroup.this.arn
}

output "workgroup_endpoint" {
  description = "Endpoint address of the workgroup (inside the VPC)."
  value       = try(aws_redshiftserverless_workgroup.this.endpoint[0].address, null)
}

output "database_name" {
  description = "Database of the namespace."
  value       = aws_redshiftserverless_namespace.this.db_name
}

output "security_group_id" {
  description = "Security group of the workgroup."
  value       = aws_security_group.redshift.id
}

output "admin_password_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the managed admin password."
  value       = aws_redshiftserverless_namespace.this.admin_password_secret_arn
}
