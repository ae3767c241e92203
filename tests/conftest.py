import fcntl
import json
import shutil
import socket
import ssl
import subprocess
import textwrap
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _stores_outside_the_tree(tmp_path_factory):
    """Data stores of test configs (some live in tests/unit/corpus) go to a temporary folder."""
    import os

    os.environ["RETENTION_STORE_DIR"] = str(tmp_path_factory.mktemp("stores"))


def pytest_collection_modifyitems(items):
    """Whole runs of the pipeline and the notebooks (tests/e2e) are slow: make test-fast skips them."""
    for item in items:
        if "e2e" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.slow)
SMALL_STORE = {"seed": 7, "n_customers": 300, "months": 14}


def write_demo_config(directory: Path, **options) -> Path:
    """A config for a small simulated store whose files are generated on first use."""
    opts = {**SMALL_STORE, **options}
    directory.mkdir(parents=True, exist_ok=True)
    tables = "\n".join(f"  {t}: {{path: store/{t}.parquet}}"
                       for t in ("transactions", "customers", "surveys", "complaints", "campaigns"))
    path = directory / "small.yml"
    path.write_text(textwrap.dedent(f"""\
        name: Small test store (simulated)
        source: demo
        simulated: true
        source_options: {{seed: {opts['seed']}, n_customers: {opts['n_customers']}, months: {opts['months']}}}
        currency: CNY
        tables:
        """) + tables + "\n", encoding="utf-8")
    return path


def set_table(run_dir: Path, name: str, frame) -> None:
    """Make the run folder read `frame` as its validated table `name` (None: the source has no such
    table), as if the data store held it: the frame is written beside the run and the run's
    data/snapshot.json points at it."""
    import json

    run_dir = Path(run_dir)
    path = run_dir / "data" / "snapshot.json"
    snap = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {
        "store": str(run_dir.parent / f"{run_dir.name}-store"), "tables": {}, "substituted": {}}
    if frame is None:
        snap["tables"].pop(name, None)
    else:
        store = Path(snap["store"])
        (store / "set").mkdir(parents=True, exist_ok=True)
        file = store / "set" / f"{name}-{len(list((store / 'set').iterdir()))}.parquet"
        frame.to_parquet(file, index=False)
        snap["tables"][name] = [{"month": "all", "file": str(file.relative_to(store)), "rows": len(frame)}]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(snap), encoding="utf-8")


def stub_charts(run) -> None:
    """Blank PNGs for the charts of available parts that a notebook would draw: for tests that build
    report sections from library calls alone and look only at their text."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from retention_lib.core import stages

    for key, spec in stages.ARTIFACTS.items():
        part = stages.PART_OF_ARTIFACT.get(key)
        if key.endswith("_chart") and part and not run.reason(part.name) and not run.has(key):
            fig = plt.figure(figsize=(1, 1))
            run.write(key, fig)
            plt.close(fig)




def retention_cli(*args, cwd=ROOT, env=None, timeout=900):
    """`retention ...` in a subprocess, as cron runs it, without the caller's SMTP settings."""
    import os
    import subprocess
    import sys

    env = env if env is not None else {k: v for k, v in os.environ.items() if not k.startswith("RETENTION_")}
    return subprocess.run([sys.executable, "-m", "retention_lib", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory, worker_id) -> Path:
    """A folder every xdist worker of the session sees (each worker's own temp folder is inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


def built_once(shared_dir: Path, name: str, build) -> dict:
    """`build(folder)` run by the first worker that asks for `name`, under a lock; the others wait for it
    and get what it returned (a dict that JSON keeps). A whole month costs a minute: run it once a session."""
    folder, done = shared_dir / name, shared_dir / f"{name}.json"
    with open(shared_dir / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            done.write_text(json.dumps(build(folder)), encoding="utf-8")
        return json.loads(done.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def small_config(shared_dir) -> Path:
    """The small store's config, its files generated once for every worker (tests must not change them)."""
    def build(folder):
        from retention_lib.core.config import load_config
        from retention_lib.data.sources import ensure_source_files

        ensure_source_files(load_config(write_demo_config(folder)))
        return {}

    built_once(shared_dir, "small-store", build)
    return shared_dir / "small-store" / "small.yml"


@pytest.fixture(scope="session")
def published(small_config, shared_dir):
    """The small store's last complete month (2025-02) published by `retention run`, no SMTP:
    (reports folder, the finished CompletedProcess), shared by every worker. Tests that read it must not
    change it: one that does takes a copy (`private_copy`)."""
    def build(folder):
        proc = retention_cli("run", "--config", str(small_config), "--reports-dir", str(folder / "reports"))
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return {"args": proc.args, "returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}

    proc = subprocess.CompletedProcess(**built_once(shared_dir, "published", build))
    return shared_dir / "published" / "reports", proc


def private_copy(reports: Path, into: Path) -> Path:
    """A copy of a reports folder's months and ledger, for a test that changes them."""
    into.mkdir(parents=True, exist_ok=True)
    for entry in reports.iterdir():
        if entry.name[:4].isdigit() or entry.name == "ledger":
            shutil.copytree(entry, into / entry.name, symlinks=True)
    return into


USER, PASSWORD = "reporter", "s3cret-Pa55word!"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, BytesParser(policy=policy.SMTP).parsebytes(envelope.content)))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
        and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


@pytest.fixture
def smtp_server(tmp_path, monkeypatch):
    """A real SMTP server on 127.0.0.1 with STARTTLS and AUTH; yields (inbox, port, ca_bundle)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))  # the client trusts our test CA only
    inbox = Inbox()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_ctx, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
    controller.start()
    try:
        yield inbox, port, bundle
    finally:
        controller.stop()
