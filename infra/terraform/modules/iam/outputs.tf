output "lambda_role_arns" {
  description = "Role ARN of each Lambda, by function key (dispatch, validate-manifest, load-raw, …)."
  value       = { for f, r in local.lambda_role_of : f => aws_iam_role.lambda[r].arn }
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
  description = "ARN of role-dbt-runner (task role of the dbt step)."
  value       = aws_iam_role.runner.arn
}

output "normalise_role_arn" {
  description = "ARN of role-normalise-dpc (task role of the normalise step)."
  value       = aws_iam_role.normalise.arn
}

output "ecs_execution_role_arn" {
  description = "ARN of the ECS execution role of dpc-runner."
  value       = aws_iam_role.ecs_execution.arn
}

output "scheduler_role_arn" {
  description = "ARN of the EventBridge Scheduler role."
  value       = aws_iam_role.scheduler.arn
}

output "learner_role_arns" {
  description = "Role ARN of each learner."
  value       = { for l, r in aws_iam_role.learner : l => r.arn }
}

output "learner_policies" {
  description = "Each learner's rendered IAM policy (JSON), for the platform's tests."
  value       = { for l, p in aws_iam_role_policy.learner : l => p.policy }
}

output "learner_redshift_users" {
  description = "Each learner's Redshift user: Redshift Serverless maps their role to IAMR:<role name>."
  value       = { for l, n in local.learner_role_name : l => "IAMR:${n}" }
}

output "learner_sandbox_sql" {
  description = "Per learner, the admin statement that creates their sandbox schemas owned by their own user (docs/decisions/0019)."
  value       = { for l, n in local.learner_role_name : l => "CALL dq.create_learner_sandbox('${l}', 'IAMR:${n}');" }
}

output "role_names" {
  description = "Names of every role this module creates."
  value = concat(
    [for r in aws_iam_role.lambda : r.name],
    [aws_iam_role.redshift_copy.name, aws_iam_role.stepfunctions.name, aws_iam_role.quicksight.name, aws_iam_role.runner.name,
    aws_iam_role.normalise.name, aws_iam_role.ecs_execution.name, aws_iam_role.scheduler.name],
    [for r in aws_iam_role.learner : r.name],
  )
}
