"""The function's package: its code and dependencies, built for Lambda's platform."""
