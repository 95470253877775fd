# One function with read and write access to its table: the module's defaults, and the names.
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
}

module "lambda_dynamodb" {
  source = "../../"

  table_name    = "Orders"
  function_name = "orders-api"
  code_zip      = var.code_zip
  access        = "read_write"
}

variable "region" {
  description = "The AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "code_zip" {
  description = "Path of the function's deployment package (.zip), built by your pipeline."
  type        = string
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = module.lambda_dynamodb.function_arn
}

output "table_arn" {
  description = "ARN of the DynamoDB table."
  value       = module.lambda_dynamodb.table_arn
}
