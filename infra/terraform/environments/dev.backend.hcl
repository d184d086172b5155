# State of dev: terraform -chdir=infra/terraform/platform init -reconfigure -backend-config=../environments/dev.backend.hcl
# (append the bucket suffix to bucket if bootstrap used one; docs/decisions/0018).
bucket         = "dpc-learning-tfstate"
key            = "dev/terraform.tfstate"
region         = "ap-northeast-1"
encrypt        = true
use_lockfile   = true
dynamodb_table = "terraform-lock" # kept during the transition to native S3 locking (docs/decisions/0018)
