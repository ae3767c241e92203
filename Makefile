# Each target creates or reuses .venv and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KERNEL := retention-report
STAMP := $(VENV)/.installed

.PHONY: report test test-fast lab install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (retention-report)" >/dev/null
	touch $(STAMP)

# pyspark (the chain engine) is an extra that the tests install; the report runs without it.
SPARK_STAMP := $(VENV)/.installed-spark
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,spark]"
	touch $(SPARK_STAMP)

# The gettext catalogues, compiled with Babel whenever a .po changes.
PO := $(wildcard retention_lib/report/locale/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
$(MO): %.mo: %.po $(STAMP)
	$(BIN)/python -c 'from retention_lib.report.language import compile_catalogues; compile_catalogues()'

install: $(STAMP) $(MO)

# A month already built is shown, not rebuilt; make report ARGS=--force rebuilds it.
# Exit 5 is a published report with some parts unavailable on the data: not a failure.
report: $(STAMP) $(MO)
	$(BIN)/retention run --if-missing $(ARGS) || [ $$? -eq 5 ]

# Test files spread over the cores (pytest-xdist), each file's tests on one worker so module fixtures run once.
test: $(SPARK_STAMP) $(MO)
	$(BIN)/python -m pytest -n auto --dist loadfile $(PYTEST_ARGS)

# The unit tier only, without the slow tests: under a minute.
test-fast: $(STAMP) $(MO)
	$(BIN)/python -m pytest tests/unit -m "not slow" -q $(PYTEST_ARGS)

# JupyterLab on notebooks/. As root (a container, a fresh server) Jupyter needs --allow-root. On a remote
# machine: make lab LAB_IP=0.0.0.0 (no browser is opened; the URL with its token is printed), or keep the
# default 127.0.0.1 and tunnel: ssh -L 8888:127.0.0.1:8888 <host>.
LAB_IP ?= 127.0.0.1
LAB_PORT ?= 8888
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
LAB_BROWSER := $(if $(filter 127.0.0.1 localhost,$(LAB_IP)),,--no-browser)
# make lab LANGUAGE=zh-CN: copies of the notebooks with their prose in that language, in notebooks/zh-CN/ (git-ignored).
# A copy is rewritten only when its notebook or the catalogue changed, so keep lasting edits in notebooks/. Only a
# LANGUAGE given on the command line counts: gettext's LANGUAGE in the environment (en_US:en) is another thing.
LAB_LANGUAGE := $(if $(filter command line,$(origin LANGUAGE)),$(LANGUAGE))
LAB_DIR := notebooks$(if $(LAB_LANGUAGE),/$(LAB_LANGUAGE))
ifneq ($(LAB_LANGUAGE),)
LAB_COPIES := $(patsubst notebooks/%,$(LAB_DIR)/%,$(wildcard notebooks/[0-9][0-9]_*.ipynb))
$(LAB_DIR)/%.ipynb: notebooks/%.ipynb retention_lib/report/catalogue/notebooks.py $(MO) | $(STAMP)
	$(BIN)/python tools/notebook_text.py --language $(LAB_LANGUAGE) --output $(LAB_DIR) $<
endif
lab: $(STAMP) $(MO) $(LAB_COPIES)
	$(BIN)/jupyter lab --notebook-dir=$(LAB_DIR) --ip=$(LAB_IP) --port=$(LAB_PORT) $(LAB_BROWSER) $(LAB_ROOT) $(LAB_ARGS)

clean:
	rm -rf $(VENV) reports/.tmp-* reports/*.failed
