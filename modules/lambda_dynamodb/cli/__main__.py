"""``python -m lambda_dynamodb.cli``: the same as the ``lambda-dynamodb`` command."""

import sys

from lambda_dynamodb.cli.main import main

sys.exit(main())
