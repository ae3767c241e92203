"""A run's notebooks share one kernel, and each starts in a new session of it."""
import json
import os

import nbformat
import papermill as pm
import pytest

from retention_lib.app.notebook_kernel import RunKernel, Tracker, imported_modules


def notebook(path, *sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('out = ""', metadata={"tags": ["parameters"]})]
                                  + [nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "retention-report", "display_name": "x", "language": "python"}
    nbformat.write(nb, path)
    return path


def run_series(tmp_path, books, lines, warm=False):
    with RunKernel("retention-report", tmp_path, lines) as kernel:
        if warm:
            kernel.start(books)
        for book in books:
            kernel.execute(book, tmp_path / f"done-{book.name}", {"out": str(tmp_path / f"{book.stem}.json")}, 60,
                           Tracker())
    return kernel


def test_the_next_notebook_runs_in_the_same_kernel_with_nothing_of_the_last(tmp_path):
    first = notebook(tmp_path / "01.ipynb", "import os, json\nimport matplotlib.pyplot as plt\nleft_behind = 1\n"
                     "plt.figure()\nos.chdir('/')\n"
                     "json.dump({'pid': os.getpid()}, open(out, 'w'))")
    second = notebook(tmp_path / "02.ipynb", "import os, json\nimport matplotlib.pyplot as plt\n"
                      "json.dump({'pid': os.getpid(), 'names': 'left_behind' in globals(), 'cwd': os.getcwd(), "
                      "'figures': plt.get_fignums()}, open(out, 'w'))")
    kernel = run_series(tmp_path, [first, second], [])
    one, two = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("01", "02"))
    assert one["pid"] == two["pid"]
    assert two == {"pid": one["pid"], "names": False, "cwd": str(tmp_path), "figures": []}
    executed = nbformat.read(tmp_path / "done-02.ipynb", as_version=4)
    assert [c.execution_count for c in executed.cells] == [1, 2, 3]   # its own count, as in JupyterLab
    assert not kernel.km.has_kernel   # shut down at the end of the run
    with pytest.raises(ProcessLookupError):
        os.kill(one["pid"], 0)


def test_a_started_kernel_has_imported_what_the_notebooks_import_and_defines_none_of_it(tmp_path):
    first = notebook(tmp_path / "01.ipynb", "import json, sys\n"
                     "json.dump({'loaded': 'colorsys' in sys.modules, 'named': 'colorsys' in globals()}, open(out, 'w'))")
    second = notebook(tmp_path / "02.ipynb", "from colorsys import rgb_to_hls\nimport no_such_module_here")
    with pytest.raises(pm.PapermillExecutionError, match="no_such_module_here"):   # the notebook fails, not the start
        run_series(tmp_path, [first, second], [], warm=True)
    assert json.loads((tmp_path / "01.json").read_text()) == {"loaded": True, "named": False}
    executed = nbformat.read(tmp_path / "done-01.ipynb", as_version=4)
    assert [c.execution_count for c in executed.cells] == [1, 2, 3]
    assert imported_modules([second]) == ["colorsys", "colorsys.rgb_to_hls", "no_such_module_here"]


def test_a_failing_notebook_logs_its_own_kernel_output_only(tmp_path):
    first = notebook(tmp_path / "01.ipynb", "import sys\nprint('said by the first', file=sys.__stderr__, flush=True)")
    second = notebook(tmp_path / "02.ipynb", "import sys\nprint('said by the second', file=sys.__stderr__, flush=True)",
                      "raise ValueError('the second fails')")
    lines = []
    with pytest.raises(pm.PapermillExecutionError, match="the second fails"):
        run_series(tmp_path, [first, second], lines)
    said = "\n".join(lines)
    assert "said by the second" in said and "said by the first" not in said
