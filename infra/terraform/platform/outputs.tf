output "data_bucket" {
  description = "Data bucket of the environment."
  value       = module.foundation.data_bucket_name
}

output "artifacts_bucket" {
  description = "Artifacts bucket of the environment."
  value       = module.foundation.artifacts_bucket_name
}

output "kms_key_arn" {
  description = "Platform KMS key."
  value       = module.foundation.kms_key_arn
}

output "redshift_workgroup" {
  description = "Redshift Serverless workgroup name."
  value       = module.redshift.workgroup_name
}

output "athena_workgroup" {
  description = "Athena workgroup name."
  value       = module.glue_athena.athena_workgroup_name
}

output "ecr_repository_url" {
  description = "Push the dpc-runner image here."
  value       = module.pipeline.ecr_repository_url
}

output "state_machine_arn" {
  description = "Pipeline state machine."
  value       = module.pipeline.state_machine_arn
}

output "lambda_function_names" {
  description = "Lambda function per step."
  value       = module.pipeline.lambda_function_names
}

output "sns_topic_arn" {
  description = "Notifications topic."
  value       = module.pipeline.sns_topic_arn
}

output "quicksight_dataset_arns" {
  description = "QuickSight dataset ARNs (empty unless enable_quicksight)."
  value       = try(module.quicksight[0].dataset_arns, {})
}

output "learners" {
  description = "Per learner: their role, Redshift user, Athena workgroup and results location, and the admin SQL creating their sandbox."
  value = { for l in keys(var.learners) : l => {
    role_arn         = module.iam.learner_role_arns[l]
    redshift_user    = module.iam.learner_redshift_users[l]
    sandbox_sql      = module.iam.learner_sandbox_sql[l]
    athena_workgroup = module.glue_athena.learner_workgroups[l].name
    athena_results   = module.glue_athena.learner_workgroups[l].results
  } }
}

output "environment" {
  description = "Environment of this state (from environments/<env>.tfvars)."
  value       = local.environment
}

output "protection" {
  description = "What terraform destroy meets, read from the resources: deletion protection of the deliveries table and force-destroy of the buckets, the Athena workgroup and the ECR repository (prod: protected, tests/prod.tftest.hcl)."
  value = {
    deliveries_table_deletion_protection = module.pipeline.deliveries_table_deletion_protection
    buckets_force_destroy                = module.foundation.buckets_force_destroy
    athena_workgroup_force_destroy       = module.glue_athena.athena_workgroup_force_destroy
    ecr_force_delete                     = module.pipeline.ecr_force_delete
  }
}
