mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  environment           = "dev"
  athena_workgroup_name = "dpc-learning-dev"
  mart_database         = "dpc_dev_mart"
  principal_arns        = ["arn:aws:quicksight:ap-northeast-1:123456789012:group/default/analysts"]
}

run "athena_by_default" {
  command = apply

  assert {
    condition     = aws_quicksight_data_source.athena.type == "ATHENA" && aws_quicksight_data_source.athena.parameters[0].athena[0].work_group == "dpc-learning-dev"
    error_message = "Athena data source over the workgroup."
  }
  assert {
    condition     = length(aws_quicksight_data_source.redshift) == 0 && length(aws_quicksight_vpc_connection.redshift) == 0
    error_message = "No Redshift data source unless enabled."
  }
  assert {
    condition     = toset(keys(output.dataset_arns)) == toset(["athena-kpi_monthly_facility_mdc", "athena-fct_admissions"])
    error_message = "Datasets over kpi_monthly_facility_mdc and fct_admissions, ARNs output."
  }
  assert {
    condition     = !contains(keys(var.datasets["fct_admissions"].columns), "patient_key")
    error_message = "No patient key in QuickSight datasets."
  }
}

run "redshift_behind_variable" {
  command = plan

  variables {
    enable_redshift = true
    redshift = {
      host              = "dpc-learning-dev.123456789012.ap-northeast-1.redshift-serverless.amazonaws.com"
      database          = "dpc"
      vpc_id            = "vpc-0123456789abcdef0"
      subnet_ids        = ["subnet-0a", "subnet-0c", "subnet-0d"]
      security_group_id = "sg-0redshift00000000"
      secret_arn        = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:quicksight-AbCdEf"
    }
  }

  assert {
    condition     = length(aws_quicksight_vpc_connection.redshift) == 1 && aws_vpc_security_group_ingress_rule.redshift_from_quicksight[0].security_group_id == "sg-0redshift00000000" && aws_vpc_security_group_ingress_rule.redshift_from_quicksight[0].from_port == 5439
    error_message = "Redshift path adds a VPC connection and a 5439 rule into the workgroup SG."
  }
  assert {
    condition     = length(aws_quicksight_data_set.mart) == 4
    error_message = "Datasets on both engines when Redshift is enabled."
  }
}
