"""The ``lambda_dynamodb`` pytest plugin (registered through the ``pytest11`` entry point)."""
