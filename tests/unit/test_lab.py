"""`make lab` starts JupyterLab as it is: as root too, and on a port and address given for a remote machine."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command(*variables: str) -> str:
    """The command `make lab` would run (under `make test` a sub-make also prints its directory)."""
    out = subprocess.run(["make", "--no-print-directory", "-n", "lab", *variables], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    [command] = [line for line in out.splitlines() if "jupyter lab" in line]
    return command


def test_the_lab_command_allows_root_only_as_root_and_opens_no_browser_on_the_network():
    local = _command()
    assert ("--allow-root" in local) == (os.geteuid() == 0)
    assert "--ip=127.0.0.1" in local and "--no-browser" not in local
    remote = _command("LAB_IP=0.0.0.0", "LAB_PORT=8890")
    assert "--ip=0.0.0.0" in remote and "--port=8890" in remote and "--no-browser" in remote


@pytest.mark.slow
def test_make_lab_serves_jupyterlab_with_a_token(tmp_path):
    port = _free_port()
    log = tmp_path / "lab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(["make", "lab", f"LAB_PORT={port}", "LAB_ARGS=--no-browser"], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, url = time.monotonic() + 90, None
        while time.monotonic() < deadline and proc.poll() is None and url is None:
            time.sleep(0.5)
            url = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=\w+", log.read_text(errors="replace"))
        assert url, log.read_text(errors="replace")[-2000:]
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def test_make_lab_with_a_language_opens_copies_with_the_prose_in_it():
    """make lab LANGUAGE=zh-CN writes the copies (tools/notebook_text.py) and opens them; gettext's LANGUAGE in
    the environment (en_US:en) is not a choice of language."""
    assert "--notebook-dir=notebooks/zh-CN " in _command("LANGUAGE=zh-CN")
    out = subprocess.run(["make", "--no-print-directory", "-n", "-W", "notebooks/02_kpis.ipynb", "lab",
                          "LANGUAGE=zh-CN"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "tools/notebook_text.py --language zh-CN --output notebooks/zh-CN notebooks/02_kpis.ipynb" in out
    env = {**os.environ, "LANGUAGE": "en_US:en"}
    out = subprocess.run(["make", "--no-print-directory", "-n", "lab"], cwd=ROOT, capture_output=True, text=True,
                         check=True, env=env).stdout
    assert "--notebook-dir=notebooks " in out and "notebook_text.py" not in out
