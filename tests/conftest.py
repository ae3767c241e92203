import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
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


@pytest.fixture(scope="session")
def small_config(tmp_path_factory) -> Path:
    return write_demo_config(tmp_path_factory.mktemp("small-store"))
