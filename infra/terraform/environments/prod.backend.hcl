# State of prod: terraform -chdir=infra/terraform/platform init -reconfigure -backend-config=../environments/prod.backend.hcl
# (append the bucket suffix to bucket if bootstrap used one; docs/decisions/0018).
bucket         = "dpc-learning-tfstate"
key            = "prod/terraform.tfstate"
region         = "ap-northeast-1"
encrypt        = true
use_lockfile   = true
dynamodb_table = "terraform-lock" # kept during the transition to native S3 locking (docs/decisions/0018)
