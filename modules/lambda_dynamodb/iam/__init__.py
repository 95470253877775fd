"""The IAM model: actions, statements, the policy evaluator, what the Lambda service needs, the permission plan."""
