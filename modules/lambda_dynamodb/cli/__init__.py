"""The ``lambda-dynamodb`` command."""
