"""Export an executed notebook to one self-contained HTML file (code hidden, images inline)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

TEMPLATES = Path(__file__).parent / "templates"
# Any src/href that reaches out of the file; data: URIs and #anchors are fine.
NETWORK_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


class DropStderr(Preprocessor):
    """Warnings printed by libraries belong in the run log, not in a manager's report."""

    def preprocess_cell(self, cell, resources, index):
        if cell.get("cell_type") == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        return cell, resources


def export_html(notebook: Path, target: Path, title: str | None = None, language: str = "en") -> Path:
    nb = nbformat.read(notebook, as_version=4)
    # the parameter cells show nothing in a report; papermill gives its cell a random id, and
    # the same data must give the same file
    nb.cells = [c for c in nb.cells if not {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    if title:
        nb.metadata["title"] = title
    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
                            language_code=language.split("-")[0],   # nbconvert takes ISO 639-1 only: zh
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)
    exporter.register_preprocessor(DropStderr, enabled=True)
    body, _ = exporter.from_notebook_node(nb)
    found = network_references(body)
    if found:
        raise RuntimeError(f"{target}: the report would fetch from the network: {found[:3]}")
    target.write_text(body, encoding="utf-8")
    return target


def network_references(html: str) -> list[str]:
    return [html[m.start():m.end() + 60] for m in NETWORK_REFERENCE.finditer(html)]
