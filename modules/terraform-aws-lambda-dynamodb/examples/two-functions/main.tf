# Two functions, each with its own table: a writer with a composite key, and a reader of an
# audit table keyed by a number only, with its own role and policy names and an explicit list of
# actions instead of an access level.
terraform {
  required_version = ">= 1.9.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 6.0.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = { team = "payments" }
  }
}

module "orders" {
  source = "../../"

  table_name    = "Orders"
  function_name = "orders-writer"
  code_zip      = var.code_zip
  access        = "write"
  architecture  = "arm64"
}

module "audit" {
  source = "../../"

  table_name         = "AuditLog"
  partition_key      = { name = "event_id", type = "N" }
  sort_key           = null
  function_name      = "audit-reader"
  role_name          = "AuditReaderRole"
  policy_name        = "AuditReaderPolicy"
  code_zip           = var.code_zip
  actions            = ["dynamodb:GetItem", "dynamodb:Query"]
  tracing            = "PassThrough"
  memory_mb          = 512
  timeout_seconds    = 30
  log_retention_days = 30
}

variable "region" {
  description = "The AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "code_zip" {
  description = "Path of the functions' deployment package (.zip), built by your pipeline."
  type        = string
}

output "orders" {
  description = "What the orders module created (names and ARNs)."
  value       = module.orders
}

output "audit" {
  description = "What the audit module created (names and ARNs)."
  value       = module.audit
}
