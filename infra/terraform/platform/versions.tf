terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration, one state per environment:
  # terraform init -reconfigure -backend-config=../environments/<env>.backend.hcl (docs/decisions/0018).
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.default_tags
  }
}
