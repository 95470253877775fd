# A root configuration written by a team that uses HCL: it calls the released module twice, with
# different names, keys, access and settings, from a tag of the module's git repository (the test
# puts the repository's path and the tag in place of MODULE_REPOSITORY and MODULE_REF).
terraform {
  required_version = ">= 1.9.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

# Credentials and endpoint come from the environment (the local emulator in the tests).
provider "aws" {
  region = "eu-west-1"
}

module "orders" {
  source        = "git::file://MODULE_REPOSITORY?ref=MODULE_REF"
  table_name    = "Orders"
  function_name = "orders-api"
  code_zip      = "${path.root}/function.zip"
  access        = "read_write"
  # The test destroys what it applied: a protected table would refuse.
  deletion_protection = false
}

module "audit" {
  source             = "git::file://MODULE_REPOSITORY?ref=MODULE_REF"
  table_name         = "AuditLog"
  partition_key      = { name = "event_id", type = "N" }
  sort_key           = null
  function_name      = "audit-reader"
  role_name          = "AuditReaderRole"
  policy_name        = "AuditReaderPolicy"
  code_zip           = "${path.root}/function.zip"
  access             = "read"
  tracing            = "PassThrough"
  architecture       = "arm64"
  log_retention_days = 30
  memory_mb          = 512
  timeout_seconds    = 30
  deletion_protection = false
}

output "orders" {
  value = module.orders
}

output "audit" {
  value = module.audit
}
