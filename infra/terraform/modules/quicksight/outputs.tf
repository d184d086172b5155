output "athena_data_source_arn" {
  description = "ARN of the Athena data source."
  value       = aws_quicksight_data_source.athena.arn
}

output "redshift_data_source_arn" {
  description = "ARN of the Redshift data source (null unless enable_redshift)."
  value       = try(aws_quicksight_data_source.redshift[0].arn, null)
}

output "dataset_arns" {
  description = "Dataset ARN per \"<engine>-<table>\" (dbt exposures reference these)."
  value       = { for k, d in aws_quicksight_data_set.mart : k => d.arn }
}

output "dataset_ids" {
  description = "Dataset ID per \"<engine>-<table>\"."
  value       = { for k, d in aws_quicksight_data_set.mart : k => d.data_set_id }
}

output "vpc_connection_arn" {
  description = "ARN of the QuickSight VPC connection (null unless enable_redshift)."
  value       = try(aws_quicksight_vpc_connection.redshift[0].arn, null)
}
