# dev: values of the platform composition (infra/terraform/platform) for the dev account; its state is in
# dev.backend.hcl. terraform -chdir=infra/terraform/platform plan -var-file=../environments/dev.tfvars
environment = "dev"

# Replace the documentation CIDR with the networks hospitals and the team upload from.
upload_source_cidrs   = ["192.0.2.0/24"]
monthly_budget_usd    = 50
usage_limit_rpu_hours = 60

# dev is disposable: it opts out of the protections every environment has by default (prod cannot).
deletion_protection     = false
force_destroy_buckets   = true
force_destroy_workgroup = true
ecr_force_delete        = true
