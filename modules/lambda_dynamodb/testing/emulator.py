"""The AWS emulator the plugin's functions run against: moto's server in this process, or a URL.

:meth:`Emulator.in_process` starts moto's ``ThreadedMotoServer`` on 127.0.0.1, on a free port
(each pytest process, each xdist worker, has its own); :meth:`Emulator.at` uses a server already
running (moto's ``moto_server``, LocalStack) at a URL. Either way the handler's process reaches
it through ``AWS_ENDPOINT_URL``, with made-up credentials: nothing here can reach real AWS.
moto is imported only by :meth:`in_process` (it is a test dependency of the app, not of the
library).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

HOST = "127.0.0.1"
#: Credentials an emulator accepts; real AWS refuses them.
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"


class EmulatorMissing(RuntimeError):
    pass


@dataclass
class Emulator:
    """An emulator's endpoint, and clients for it."""

    url: str
    region: str = "us-east-1"
    _server: Any = field(default=None, repr=False)

    @classmethod
    def in_process(cls, region: str = "us-east-1") -> Emulator:
        """moto's server, started in this process on a free port of 127.0.0.1 (stop() ends it)."""
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as error:
            raise EmulatorMissing(
                f"the in-process emulator needs moto's server ({error}): pip install 'moto[server]>=5', "
                "or pass --lambda-dynamodb-endpoint URL of an emulator already running"
            ) from error
        import logging

        # werkzeug logs every request it serves on stderr: only its errors matter to a test run.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        return cls(f"http://{host}:{port}", region, server)

    @classmethod
    def at(cls, url: str, region: str = "us-east-1") -> Emulator:
        """An emulator already running at ``url`` (its lifetime is not ours)."""
        return cls(url.rstrip("/"), region)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client of the emulator (a session of its own: the default session is untouched)."""
        return self.session(region).client(service, endpoint_url=self.url)

    def resource(self, service: str, region: str | None = None) -> Any:
        return self.session(region).resource(service, endpoint_url=self.url)

    def session(self, region: str | None = None) -> Any:
        import boto3

        return boto3.session.Session(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY, region_name=region or self.region)

    @cached_property
    def account(self) -> str:
        """The emulator's account (moto: 123456789012; LocalStack: 000000000000)."""
        return str(self.client("sts").get_caller_identity()["Account"])

    def environment(self, region: str | None = None) -> dict[str, str]:
        """The AWS settings a process needs to send its calls here."""
        where = region or self.region
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_REGION": where,
            "AWS_DEFAULT_REGION": where,
        }
