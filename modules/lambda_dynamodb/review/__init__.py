"""The plan review: a Terraform plan's JSON as a reviewer's summary and a diagram.

report (the entry point: ``lambda-dynamodb review`` and ``make plan``), plan_file (reading and
checking a plan), summary (plan.md), iam_diff (permissions added or removed), why (the why
column), manifests (which stack, from its permissions manifest), diagram (the DOT source),
aws_checks (what AWS would refuse), files (the folder written whole, Graphviz). All but report,
manifests and files are pure. IAM statements are matched by :mod:`lambda_dynamodb.iam.evaluation`.
"""
