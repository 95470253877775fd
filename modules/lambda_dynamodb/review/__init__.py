"""The plan review: a Terraform plan JSON as a reviewer's summary and a diagram (pure)."""
