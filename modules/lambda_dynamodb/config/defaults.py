"""The module's defaults, in one place, as data. User settings are layered on top of these."""

from __future__ import annotations

from pathlib import Path

from lambda_dynamodb.iam.access import Access
from lambda_dynamodb.config.enums import Architecture, AttributeType, DependencyPackaging, Runtime, TracingMode

PARTITION_KEY = "pk"
SORT_KEY = "sk"
#: (name, type) of each key attribute the default table declares.
ATTRIBUTE_TYPES: tuple[tuple[str, AttributeType], ...] = (
    (PARTITION_KEY, AttributeType.STRING),
    (SORT_KEY, AttributeType.STRING),
)
SOURCE_DIR = Path("lambda")
HANDLER = "handler.handler"
RUNTIME = Runtime.PYTHON_3_13
MEMORY_MB = 256
TIMEOUT_SECONDS = 10
ARCHITECTURE = Architecture.X86_64
#: X-Ray traces every invocation, including its DynamoDB calls.
TRACING = TracingMode.ACTIVE
TABLE_NAME_VARIABLE = "TABLE_NAME"
KEY_NAMES_VARIABLE = "TABLE_KEY_NAMES"
DEPENDENCY_PACKAGING = DependencyPackaging.BUNDLED
#: What Lambda's Python runtimes include themselves (the AWS SDK for Python): not packaged.
RUNTIME_PROVIDED: tuple[str, ...] = ("boto3", "botocore", "s3transfer")
#: Never packaged, whatever ``exclude`` says: local secrets (.env files), version control and
#: virtual environments, interpreter caches. Glob patterns matched against every path part.
#: ".lambda-dynamodb-output" is the marker of a folder this project writes
#: (``synthesis.output.MARKER``): bookkeeping, never code (a code folder the run task's bundle wrote has one).
PACKAGE_EXCLUDES: tuple[str, ...] = (".env", ".env.*", ".git", ".venv", "venv", "__pycache__", "*.pyc", "*.pyo", ".lambda-dynamodb-output")
#: AWS's default regional Lambda concurrency quota (raise it with a quota request).
CONCURRENCY_QUOTA = 1000
#: What Lambda keeps unreserved out of the quota, whatever is reserved for functions.
UNRESERVED_CONCURRENCY = 100
#: A year: the floor that common compliance scanners (checkov CKV_AWS_338) ask for.
LOG_RETENTION_DAYS = 365
IAM_PATH = "/"
ACCESS = Access.READ_WRITE
#: Read the function's code for the DynamoDB calls it makes, and check them against the grant.
CHECK_CODE = True
