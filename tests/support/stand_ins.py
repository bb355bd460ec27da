"""Real stand-ins on loopback for the tests that talk to AWS or Azure Blob, and for the sync
benchmark: moto's server and Azurite, each a child process started on a free port and stopped
by its PID.

moto runs in a child process too (its ``ThreadedMotoServer``), so it neither competes with
the code under test for the GIL nor shows up in that process's memory measurements.
Azurite is installed into ``.servers/node`` with npm on first use.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.support.ports import LOOPBACK

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVERS_DIR = REPO_ROOT / ".servers"
AZURITE_VERSION = "3.35.0"
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
"""Azurite's well-known development key (public, documented): not a secret."""
CA_VARIABLES = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment without the machine's CA bundles (moto and rclone speak
    plain http here), with dummy AWS credentials."""
    env = {k: v for k, v in os.environ.items() if k not in CA_VARIABLES}
    env.update(DUMMY_AWS)
    env.update(extra)
    return env


class _ChildServer:
    """A server in a child process that prints the URL it listens on; stopped by its PID."""

    def __init__(self, command: list[str], listening: re.Pattern[str], what: str) -> None:
        self._what = what
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=child_env(),
            text=True,
            start_new_session=True,
        )
        self.pid = self._process.pid
        self.url = self._read_url(listening)
        # Keep draining the child's output so it never blocks on a full pipe.
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _read_url(self, listening: re.Pattern[str]) -> str:
        assert self._process.stdout is not None
        seen: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self._process.stdout.readline()
            if not line:
                break
            seen.append(line)
            match = listening.search(line)
            if match:
                return match.group(1)
        self.stop()
        raise RuntimeError(f"{self._what} did not start: {''.join(seen)[-2000:]}")

    def _drain(self) -> None:
        stream = self._process.stdout
        if stream is not None:
            for _ in stream:
                pass

    def stop(self) -> None:
        if self._process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self._process.wait(timeout=10)
        drainer = getattr(self, "_drainer", None)
        if drainer is not None:
            drainer.join(timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()


_MOTO_CHILD = """
import logging, signal, sys, threading
logging.getLogger("werkzeug").setLevel(logging.ERROR)
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
print(f"moto listening on http://{host}:{port}", flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait()
server.stop()
"""


class Moto(_ChildServer):
    """moto's server for every AWS service; ``reset()`` wipes its state."""

    def __init__(self) -> None:
        super().__init__(
            [sys.executable, "-c", _MOTO_CHILD],
            re.compile(r"moto listening on (http://\S+)"),
            "moto",
        )

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()


def azurite_binary() -> Path:
    """``azurite-blob``, installed with npm into ``.servers/node`` if it is not there yet."""
    prefix = SERVERS_DIR / "node"
    binary = prefix / "node_modules" / ".bin" / "azurite-blob"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to install Azurite (apt-get install -y npm)")
    prefix.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(prefix),
            "--no-audit",
            "--no-fund",
            "--silent",
            f"azurite@{AZURITE_VERSION}",
        ],
        check=True,
        timeout=600,
    )
    return binary


class Azurite(_ChildServer):
    """Azurite's blob service, in memory, telemetry off."""

    def __init__(self) -> None:
        super().__init__(
            [
                str(azurite_binary()),
                "--blobHost",
                LOOPBACK,
                "--blobPort",
                "0",
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--loose",
                "--disableTelemetry",
                "--silent",
            ],
            re.compile(r"successfully listens on (http://\S+)"),
            "Azurite",
        )

    @property
    def endpoint(self) -> str:
        return f"{self.url}/{AZURITE_ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={self.endpoint};"
        )

    def account_sas_url(self, hours: int = 4) -> str:
        """An account SAS URL for the blob service (what rclone's ``sas_url`` takes)."""
        from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

        token = generate_account_sas(
            AZURITE_ACCOUNT,
            AZURITE_KEY,
            resource_types=ResourceTypes(service=True, container=True, object=True),
            permission=AccountSasPermissions(
                read=True, write=True, delete=True, list=True, add=True, create=True
            ),
            expiry=dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours),
            start=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
        )
        return f"{self.endpoint}?{token}"
