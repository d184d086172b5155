output "database_names" {
  description = "Glue database name per layer (raw, stage, mart_build, mart, ref, dq)."
  value       = { for k, db in aws_glue_catalog_database.layer : k => db.name }
}

output "raw_table_names" {
  description = "Glue tables over stage/<kind>/ and stage/quarantine_<kind>/ in the raw database."
  value       = sort([for t in aws_glue_catalog_table.raw : t.name])
}

output "athena_workgroup_name" {
  description = "Name of the Athena workgroup."
  value       = aws_athena_workgroup.this.name
}

output "athena_workgroup_arn" {
  description = "ARN of the Athena workgroup."
  value       = aws_athena_workgroup.this.arn
}

output "athena_results_location" {
  description = "Where the workgroup writes (KMS-encrypted) query results."
  value       = "s3://${var.artifacts_bucket_name}/athena-results/pipeline/"
}

output "learner_workgroups" {
  description = "Per learner, their Athena workgroup and its results location."
  value = { for l, w in aws_athena_workgroup.learner : l => {
    name    = w.name
    arn     = w.arn
    results = w.configuration[0].result_configuration[0].output_location
  } }
}

output "athena_workgroup_force_destroy" {
  description = "Whether terraform destroy deletes the Athena workgroup with its saved queries (read from the workgroup)."
  value       = aws_athena_workgroup.this.force_destroy
}
