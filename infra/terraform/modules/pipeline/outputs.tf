output "state_machine_arn" {
  description = "ARN of the pipeline state machine."
  value       = aws_sfn_state_machine.pipeline.arn
}

output "state_machine_name" {
  description = "Name of the pipeline state machine."
  value       = aws_sfn_state_machine.pipeline.name
}

output "lambda_function_names" {
  description = "Lambda function name per step."
  value       = { for k, f in aws_lambda_function.this : k => f.function_name }
}

output "lambda_function_arns" {
  description = "Lambda function ARN per step."
  value       = { for k, f in aws_lambda_function.this : k => f.arn }
}

output "ecr_repository_url" {
  description = "URL of the dpc-runner ECR repository (docker push target)."
  value       = aws_ecr_repository.runner.repository_url
}

output "ecs_cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "runner_task_definition_arns" {
  description = "Task definition ARN (without revision) per runner step."
  value       = { for k, t in aws_ecs_task_definition.runner : k => t.arn_without_revision }
}

output "runner_security_group_id" {
  description = "Security group of the dpc-runner tasks (admitted by Redshift on 5439)."
  value       = aws_security_group.runner.id
}

output "sns_topic_arn" {
  description = "ARN of the notifications topic."
  value       = aws_sns_topic.notifications.arn
}

output "deliveries_table_name" {
  description = "Name of the delivery registry and lock table."
  value       = aws_dynamodb_table.deliveries.name
}

output "manual_start_policy_arn" {
  description = "ARN of the policy that lets operators start runs by hand."
  value       = aws_iam_policy.manual_start.arn
}

output "lambda_package_path" {
  description = "Where the Lambda zip is built."
  value       = local.lambda_package_path
}

output "deliveries_table_deletion_protection" {
  description = "Whether the deliveries table has deletion protection (read from the table)."
  value       = aws_dynamodb_table.deliveries.deletion_protection_enabled
}

output "ecr_force_delete" {
  description = "Whether terraform destroy deletes the runner's ECR repository with its images (read from the repository)."
  value       = aws_ecr_repository.runner.force_delete
}
