# Shared mock values for `terraform test` (mock_provider "aws" { source = ".../tests/mocks" }):
# ARN-shaped defaults for computed attributes that other resources validate or parse.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/terraform"
    user_id    = "AIDAMOCKUSER"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
  }
}

mock_data "aws_region" {
  defaults = {
    name = "ap-northeast-1"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:ap-northeast-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    key_id = "11111111-2222-3333-4444-555555555555"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::dpc-learning-mock"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/mock-role"
  }
}

mock_resource "aws_iam_policy" {
  defaults = {
    arn = "arn:aws:iam::123456789012:policy/mock-policy"
  }
}

mock_resource "aws_secretsmanager_secret" {
  defaults = {
    arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:dpc-learning/mock-AbCdEf"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:ap-northeast-1:123456789012:dpc-learning-mock-notifications"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn        = "arn:aws:lambda:ap-northeast-1:123456789012:function:dpc-mock"
    invoke_arn = "arn:aws:apigateway:ap-northeast-1:lambda:path/2015-03-31/functions/arn:aws:lambda:ap-northeast-1:123456789012:function:dpc-mock/invocations"
  }
}

mock_resource "aws_ecs_cluster" {
  defaults = {
    arn = "arn:aws:ecs:ap-northeast-1:123456789012:cluster/dpc-learning-mock"
  }
}

mock_resource "aws_ecs_task_definition" {
  defaults = {
    arn                  = "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/dpc-runner-mock:1"
    arn_without_revision = "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/dpc-runner-mock"
  }
}

mock_resource "aws_ecr_repository" {
  defaults = {
    arn            = "arn:aws:ecr:ap-northeast-1:123456789012:repository/dpc-runner"
    repository_url = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/dpc-runner"
  }
}

mock_resource "aws_security_group" {
  defaults = {
    id  = "sg-0123456789abcdef0"
    arn = "arn:aws:ec2:ap-northeast-1:123456789012:security-group/sg-0123456789abcdef0"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:ap-northeast-1:123456789012:log-group:/mock"
  }
}

mock_resource "aws_cloudwatch_event_rule" {
  defaults = {
    arn = "arn:aws:events:ap-northeast-1:123456789012:rule/mock"
  }
}

mock_resource "aws_sfn_state_machine" {
  defaults = {
    arn = "arn:aws:states:ap-northeast-1:123456789012:stateMachine:dpc-learning-mock-pipeline"
  }
}

mock_resource "aws_dynamodb_table" {
  defaults = {
    arn = "arn:aws:dynamodb:ap-northeast-1:123456789012:table/dpc-learning-mock-deliveries"
  }
}

mock_resource "aws_redshiftserverless_namespace" {
  defaults = {
    arn                       = "arn:aws:redshift-serverless:ap-northeast-1:123456789012:namespace/11111111-2222-3333-4444-555555555555"
    admin_password_secret_arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:redshift!mock-AbCdEf"
  }
}

mock_resource "aws_redshiftserverless_workgroup" {
  defaults = {
    arn = "arn:aws:redshift-serverless:ap-northeast-1:123456789012:workgroup/11111111-2222-3333-4444-555555555555"
  }
}

mock_resource "aws_athena_workgroup" {
  defaults = {
    arn = "arn:aws:athena:ap-northeast-1:123456789012:workgroup/dpc-learning-mock"
  }
}

mock_resource "aws_glue_catalog_database" {
  defaults = {
    arn = "arn:aws:glue:ap-northeast-1:123456789012:database/dpc_mock"
  }
}

mock_resource "aws_cloudtrail" {
  defaults = {
    arn = "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/dpc-learning-mock"
  }
}

mock_resource "aws_scheduler_schedule_group" {
  defaults = {
    arn = "arn:aws:scheduler:ap-northeast-1:123456789012:schedule-group/dpc-learning-mock"
  }
}

mock_resource "aws_quicksight_data_source" {
  defaults = {
    arn = "arn:aws:quicksight:ap-northeast-1:123456789012:datasource/mock"
  }
}

mock_resource "aws_quicksight_data_set" {
  defaults = {
    arn = "arn:aws:quicksight:ap-northeast-1:123456789012:dataset/mock"
  }
}

mock_resource "aws_quicksight_vpc_connection" {
  defaults = {
    arn = "arn:aws:quicksight:ap-northeast-1:123456789012:vpcConnection/mock"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:ap-northeast-1:123456789012:mock-queue"
    url = "https://sqs.ap-northeast-1.amazonaws.com/123456789012/mock-queue"
  }
}
