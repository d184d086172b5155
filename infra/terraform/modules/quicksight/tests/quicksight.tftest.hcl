mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name_prefix           = "dpc-learning"
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
    condition     = toset(keys(output.dataset_arns)) == toset([for t in keys(jsondecode(file("datasets.json"))) : "athena-${t}"]) && contains(keys(output.dataset_arns), "athena-kpi_monthly_facility_mdc") && contains(keys(output.dataset_arns), "athena-dim_mdc")
    error_message = "One Athena data set per table of datasets.json (KPIs, indicators, dimensions), ARNs output."
  }
  assert {
    condition     = alltrue([for k, d in aws_quicksight_data_set.mart : one(one(d.physical_table_map).relational_table).schema == "dpc_dev_mart" && one(one(d.physical_table_map).relational_table).catalog == "AwsDataCatalog"])
    error_message = "Athena data sets read the mart's Glue database."
  }
  assert {
    condition     = alltrue([for k, d in local.datasets : !startswith(k, "fct_") && !contains(keys(d.columns), "patient_key") && !contains(keys(d.columns), "stay_id")])
    error_message = "No row-level table and no patient or stay key in QuickSight data sets (docs/decisions/0020)."
  }
  assert {
    condition     = length(one(one(aws_quicksight_data_set.mart["athena-kpi_monthly_facility_mdc"].physical_table_map).relational_table).input_columns) == 11 && contains([for c in one(one(aws_quicksight_data_set.mart["athena-kpi_monthly_facility_mdc"].physical_table_map).relational_table).input_columns : "${c.name}:${c.type}"], "is_suppressed:BOOLEAN")
    error_message = "The KPI data set carries every mart column, is_suppressed included."
  }
}

run "datasets_variable_overrides_the_file" {
  command = plan

  variables {
    datasets = {
      kpi_monthly_facility_mdc = {
        custom_sql = true
        columns    = { facility_code = "STRING", discharges = "INTEGER" }
      }
    }
  }

  assert {
    condition     = toset(keys(aws_quicksight_data_set.mart)) == toset(["athena-kpi_monthly_facility_mdc"])
    error_message = "An explicit datasets map replaces datasets.json."
  }
  assert {
    condition     = one(one(aws_quicksight_data_set.mart["athena-kpi_monthly_facility_mdc"].physical_table_map).custom_sql).sql_query == "select discharges, facility_code from dpc_dev_mart.kpi_monthly_facility_mdc"
    error_message = "Custom SQL selects the listed columns from the mart."
  }
}

run "rejects_unknown_column_types" {
  command = plan

  variables {
    datasets = {
      dim_mdc = { columns = { mdc_code = "VARCHAR" } }
    }
  }

  expect_failures = [var.datasets]
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
    condition     = length(aws_quicksight_data_set.mart) == 2 * length(jsondecode(file("datasets.json")))
    error_message = "Data sets on both engines when Redshift is enabled."
  }
  assert {
    condition     = one(one(aws_quicksight_data_set.mart["redshift-kpi_monthly_facility_mdc"].physical_table_map).relational_table).schema == "mart" && one(one(aws_quicksight_data_set.mart["redshift-kpi_monthly_facility_mdc"].physical_table_map).relational_table).catalog == null
    error_message = "Redshift data sets read the published mart schema."
  }
}

run "names_from_name_prefix" {
  command = plan

  variables {
    name_prefix = "acme-dpc"
  }

  assert {
    condition     = aws_quicksight_data_source.athena.data_source_id == "acme-dpc-dev-athena"
    error_message = "QuickSight data sources are named from name_prefix."
  }
}
