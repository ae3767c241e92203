"""Every notebook under nbval (lax mode), parameterised for the small simulated store."""
import subprocess
import sys
from pathlib import Path

import nbformat
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from retention_lib.app.pipeline import notebooks


def test_notebooks_run_under_nbval(small_config, tmp_path):
    run_dir = tmp_path / "run"
    for book in notebooks():
        nb = load_notebook_node(str(book))
        nb = parameterize_notebook(nb, {"config": str(small_config), "month": "2024-11",
                                        "run_dir": str(run_dir)})
        nbformat.write(nb, tmp_path / book.name)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                           "--nbval-current-env", *sorted(str(p) for p in tmp_path.glob("*.ipynb"))],
                          cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert " passed" in proc.stdout
    assert (run_dir / "artifacts" / "data_quality_summary.json").exists()
