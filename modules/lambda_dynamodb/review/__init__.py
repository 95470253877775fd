"""The plan review: a Terraform plan's JSON as a reviewer's summary, findings and a diagram.

model (:func:`~lambda_dynamodb.review.model.plan_review`: the review as one value, shared by
plan.md and the run task), report (the entry point: ``lambda-dynamodb review`` and ``make plan``),
plan_file (reading and checking a plan; sensitive values), changes (resource changes and counts),
findings (the finding types; replacement, deletion and plan checks), least_privilege (wildcards,
missing and unused grants), summary (plan.md), iam_diff (permissions added or removed), why (the
why column), manifests (which stack, from its permissions manifest), diagram (the DOT source),
aws_checks (what AWS would refuse), files (the folder written whole, Graphviz). All but report,
manifests, model's :func:`plan_review` and files are pure. IAM statements are matched by
:mod:`lambda_dynamodb.iam.evaluation`. Nothing here imports cdktf, jsii or boto3.
"""
