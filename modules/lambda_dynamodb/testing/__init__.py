"""Testing helpers: the IAM enforcer, the handler runner, the Terraform CLI config, the pytest plugin."""
