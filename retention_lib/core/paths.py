"""Where things are: the one definition of the project's folders."""
from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = PROJECT_ROOT / "data" / "demo.yml"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
LAB_DIR = "lab"   # <reports>/lab/: runs of notebooks opened in JupyterLab, apart from published months
