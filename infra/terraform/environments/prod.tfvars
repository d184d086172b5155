# prod: values of the platform composition (infra/terraform/platform) for the prod account; its state is in
# prod.backend.hcl. terraform -chdir=infra/terraform/platform plan -var-file=../environments/prod.tfvars
environment = "prod"

# Replace the documentation CIDR with the hospitals' upload networks before the first apply.
upload_source_cidrs   = ["198.51.100.0/24"]
monthly_budget_usd    = 200
usage_limit_rpu_hours = 200

# Protections stay at their defaults (deletion protection on, no force-destroy of buckets, the Athena workgroup
# or the ECR repository); the composition refuses prod values that turn them off.
