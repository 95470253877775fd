"""Settings, their defaults and types, and their validation (no constructs, no code analysis)."""
