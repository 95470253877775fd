"""Terraform CLI configuration: the offline provider mirror when it exists.

On machines with a provider mirror (``/opt/tf-plugins``, or the folder ``TF_PROVIDER_MIRROR``
names) Terraform installs the hashicorp providers from it and never asks the registry;
elsewhere the config is the registry default. The pytest plugin's ``terraform_cli_config``
fixture and :func:`lambda_dynamodb.testing.assert_valid_terraform` use it.

    python -m lambda_dynamodb.testing.terraform_cli PATH   # writes the config to PATH and prints PATH
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

MIRROR = Path(os.environ.get("TF_PROVIDER_MIRROR", "/opt/tf-plugins"))
AWS_PROVIDER_DIR = "registry.terraform.io/hashicorp/aws"

_MIRROR_CONFIG = """provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/hashicorp/*"]
  }}
  direct {{
    exclude = ["registry.terraform.io/hashicorp/*"]
  }}
}}
"""
_REGISTRY_CONFIG = """provider_installation {
  direct {}
}
"""


class TerraformMissing(RuntimeError):
    pass


def has_mirror(mirror: Path = MIRROR) -> bool:
    return (mirror / AWS_PROVIDER_DIR).is_dir()


def cli_config(mirror: Path = MIRROR) -> str:
    return _MIRROR_CONFIG.format(mirror=mirror) if has_mirror(mirror) else _REGISTRY_CONFIG


def write_cli_config(path: Path, mirror: Path = MIRROR) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cli_config(mirror))
    return path


def terraform_binary() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        raise TerraformMissing(
            "terraform was not found on PATH: install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install)"
        )
    return binary


def terraform_env(config_path: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.update(TF_CLI_CONFIG_FILE=str(write_cli_config(config_path)), CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    return env


if __name__ == "__main__":
    print(write_cli_config(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".terraform-cli.rc")))
