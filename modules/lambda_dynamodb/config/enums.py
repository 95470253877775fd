"""The closed sets of the module's settings."""

from __future__ import annotations

from enum import Enum


class AttributeType(str, Enum):
    """DynamoDB key attribute types."""

    STRING = "S"
    NUMBER = "N"
    BINARY = "B"


class StreamViewType(str, Enum):
    KEYS_ONLY = "KEYS_ONLY"
    NEW_IMAGE = "NEW_IMAGE"
    OLD_IMAGE = "OLD_IMAGE"
    NEW_AND_OLD_IMAGES = "NEW_AND_OLD_IMAGES"


class ProjectionType(str, Enum):
    ALL = "ALL"
    KEYS_ONLY = "KEYS_ONLY"
    INCLUDE = "INCLUDE"


class LogsMode(str, Enum):
    """How the function may write its CloudWatch logs."""

    #: The module creates the function's log group; the policy names only that group.
    SCOPED = "scoped"
    #: The reference walkthrough's statements: any log group of the account, CreateLogGroup on *.
    ACCOUNT_WIDE = "account_wide"


class TracingMode(str, Enum):
    """X-Ray tracing of the function (Lambda's ``TracingConfig.Mode``)."""

    #: Lambda samples and traces invocations; the role must be allowed to send the traces.
    ACTIVE = "Active"
    #: Lambda traces only requests that arrive with a sampled trace header (and then sends
    #: nothing itself); the role needs no X-Ray permission.
    PASS_THROUGH = "PassThrough"


class DependencyPackaging(str, Enum):
    """Where a function's installed dependencies (``requirements.txt``) go."""

    #: In the function's own zip: one artifact.
    BUNDLED = "bundled"
    #: In an ``aws_lambda_layer_version`` of their own: a change to the code alone redeploys a
    #: small zip, and the layer only changes with the requirements.
    LAYER = "layer"


class Architecture(str, Enum):
    X86_64 = "x86_64"
    ARM64 = "arm64"


class Runtime(str, Enum):
    """Lambda runtimes that are neither deprecated (as of 2026-11) nor unknown to AWS provider 5.100.0.

    Left out on purpose: dotnet8 (deprecated 2026-11-10), nodejs20.x (2026-04-30), python3.10
    and older, provided.al2, ruby3.2; python3.14, nodejs24.x, java25 and dotnet10 are newer than
    the pinned provider, whose validation refuses them.
    """

    PYTHON_3_13 = "python3.13"
    PYTHON_3_12 = "python3.12"
    PYTHON_3_11 = "python3.11"
    NODEJS_22 = "nodejs22.x"
    JAVA_21 = "java21"
    JAVA_17 = "java17"
    RUBY_3_4 = "ruby3.4"
    RUBY_3_3 = "ruby3.3"
    PROVIDED_AL2023 = "provided.al2023"

    @property
    def language(self) -> str:
        """python, nodejs, java, ruby or provided."""
        return self.value.split(".")[0].rstrip("0123456789")


class StartingPosition(str, Enum):
    """Where a stream trigger starts reading a table's stream."""

    #: Only records written after the mapping is created.
    LATEST = "LATEST"
    #: Every record still in the stream (24 hours of them).
    TRIM_HORIZON = "TRIM_HORIZON"


class FunctionUrlAuth(str, Enum):
    """Who may call a function URL (Lambda's ``AuthType``)."""

    #: Callers sign their requests (SigV4) and need lambda:InvokeFunctionUrl: the default.
    AWS_IAM = "AWS_IAM"
    #: Anyone on the internet: only with ``public=True``.
    NONE = "NONE"
