output "lambda_role_arn" {
  description = "ARN of role-lambda-dpc."
  value       = aws_iam_role.lambda.arn
}

output "redshift_copy_role_arn" {
  description = "ARN of role-redshift-copy (the namespace's default IAM role)."
  value       = aws_iam_role.redshift_copy.arn
}

output "stepfunctions_role_arn" {
  description = "ARN of role-stepfunctions-dpc."
  value       = aws_iam_role.stepfunctions.arn
}

output "quicksight_role_arn" {
  description = "ARN of role-quicksight-dpc."
  value       = aws_iam_role.quicksight.arn
}

output "runner_role_arn" {
  description = "ARN of role-dbt-runner (task role of dpc-runner)."
  value       = aws_iam_role.runner.arn
}

output "ecs_execution_role_arn" {
  description = "ARN of the ECS execution role of dpc-runner."
  value       = aws_iam_role.ecs_execution.arn
}

output "scheduler_role_arn" {
  description = "ARN of the EventBridge Scheduler role."
  value       = aws_iam_role.scheduler.arn
}

output "learner_role_arn" {
  description = "ARN of role-learner-dpc."
  value       = aws_iam_role.learner.arn
}

output "role_names" {
  description = "Names of every role this module creates."
  value = [
    aws_iam_role.lambda.name, aws_iam_role.redshift_copy.name, aws_iam_role.stepfunctions.name,
    aws_iam_role.quicksight.name, aws_iam_role.runner.name, aws_iam_role.learner.name,
    aws_iam_role.ecs_execution.name, aws_iam_role.scheduler.name,
  ]
}
