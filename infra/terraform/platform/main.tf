# The whole platform for one environment. Every environment is this one composition with its own values and
# state: infra/terraform/environments/<env>.tfvars and <env>.backend.hcl (docs/deploy.md § 2). One AWS account
# per environment: role and alias names are the design's, unique per account.

locals {
  environment = var.environment
  name        = "${var.name_prefix}-${local.environment}"

  default_tags = {
    Project     = "dpc-learning"
    Environment = local.environment
    ManagedBy   = "terraform"
    Repository  = "dpc-learning/infra/terraform/platform"
  }

  vpc_id     = data.aws_vpc.this.id
  subnet_ids = coalesce(var.subnet_ids, slice(sort(data.aws_subnets.default_for_az.ids), 0, 3))
  repo_root  = "${path.root}/../../.."
}

data "aws_vpc" "this" {
  id      = var.vpc_id
  default = var.vpc_id == null ? true : null
}

data "aws_subnets" "default_for_az" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.this.id]
  }
  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

module "foundation" {
  source = "../modules/foundation"

  name_prefix            = var.name_prefix
  environment            = local.environment
  bucket_suffix          = var.bucket_suffix
  upload_source_cidrs    = var.upload_source_cidrs
  key_administrator_arns = var.key_administrator_arns
  force_destroy_buckets  = var.force_destroy_buckets
}

module "iam" {
  source = "../modules/iam"

  name_prefix                     = var.name_prefix
  environment                     = local.environment
  kms_key_arn                     = module.foundation.kms_key_arn
  data_bucket_arn                 = module.foundation.data_bucket_arn
  artifacts_bucket_arn            = module.foundation.artifacts_bucket_arn
  pseudonymisation_key_secret_arn = module.foundation.pseudonymisation_key_secret_arn
  link_key_arn                    = module.foundation.link_key_arn
  slack_webhook_secret_arn        = module.foundation.slack_webhook_secret_arn
  redshift_workgroup_arn          = module.redshift.workgroup_arn
  learners                        = var.learners
  enable_quicksight_redshift      = var.enable_quicksight_redshift
}

module "redshift" {
  source = "../modules/redshift"

  name_prefix             = var.name_prefix
  environment             = local.environment
  vpc_id                  = local.vpc_id
  subnet_ids              = local.subnet_ids
  allowed_security_groups = { runner = module.pipeline.runner_security_group_id }
  kms_key_arn             = module.foundation.kms_key_arn
  default_iam_role_arn    = module.iam.redshift_copy_role_arn
  usage_limit_rpu_hours   = var.usage_limit_rpu_hours
}

module "glue_athena" {
  source = "../modules/glue_athena"

  name_prefix             = var.name_prefix
  environment             = local.environment
  data_bucket_name        = module.foundation.data_bucket_name
  artifacts_bucket_name   = module.foundation.artifacts_bucket_name
  kms_key_arn             = module.foundation.kms_key_arn
  force_destroy_workgroup = var.force_destroy_workgroup
  learners                = keys(var.learners)
}

module "pipeline" {
  source = "../modules/pipeline"

  name_prefix           = var.name_prefix
  environment           = local.environment
  vpc_id                = local.vpc_id
  vpc_cidr              = data.aws_vpc.this.cidr_block
  subnet_ids            = local.subnet_ids
  kms_key_arn           = module.foundation.kms_key_arn
  data_bucket_name      = module.foundation.data_bucket_name
  artifacts_bucket_name = module.foundation.artifacts_bucket_name
  role_arns = {
    lambdas       = module.iam.lambda_role_arns
    stepfunctions = module.iam.stepfunctions_role_arn
    runner        = module.iam.runner_role_arn
    normalise     = module.iam.normalise_role_arn
    ecs_execution = module.iam.ecs_execution_role_arn
    scheduler     = module.iam.scheduler_role_arn
  }
  pseudonymisation_key_secret_arn = module.foundation.pseudonymisation_key_secret_arn
  link_key_arn                    = module.foundation.link_key_arn
  slack_webhook_secret_arn        = module.foundation.slack_webhook_secret_arn
  # Names, not module outputs: the runner and Lambdas only need them as strings.
  redshift_workgroup_name    = local.name
  redshift_database          = "dpc"
  athena_workgroup_name      = local.name
  lambda_source_dir          = coalesce(var.lambda_source_dir, "${local.repo_root}/orchestration/lambdas")
  dpc_package_dir            = "${local.repo_root}/dpc"
  build_lambda_package       = var.build_lambda_package
  runner_image_tag           = var.runner_image_tag
  schedule_expression        = var.schedule_expression
  schedule_timezone          = var.schedule_timezone
  schedule_enabled           = var.schedule_enabled
  enable_s3_manifest_trigger = var.enable_s3_manifest_trigger
  notification_emails        = var.notification_emails
  monthly_budget_usd         = var.monthly_budget_usd
  ecr_force_delete           = var.ecr_force_delete
  deletion_protection        = var.deletion_protection
}

module "quicksight" {
  source = "../modules/quicksight"
  count  = var.enable_quicksight ? 1 : 0

  name_prefix           = var.name_prefix
  environment           = local.environment
  athena_workgroup_name = module.glue_athena.athena_workgroup_name
  mart_database         = module.glue_athena.database_names["mart"]
  principal_arns        = var.quicksight_principal_arns
  enable_redshift       = var.enable_quicksight_redshift
  redshift = var.enable_quicksight_redshift ? {
    host              = module.redshift.workgroup_endpoint
    database          = module.redshift.database_name
    vpc_id            = local.vpc_id
    subnet_ids        = local.subnet_ids
    security_group_id = module.redshift.security_group_id
    secret_arn        = var.quicksight_redshift_secret_arn
  } : null
}
