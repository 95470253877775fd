"""The code analysis: which DynamoDB calls a function's code makes, on which tables."""
