# The two commands of the README: `make run` (the main job, end to end) and `make test`.
# Everything they need is installed here or by `publisher ckan up`; nothing by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test down

# the scheduled job's own pipeline (rebuild what changed → validate → sync), under its lock
run: $(BIN)/publisher
	$(BIN)/publisher ckan up
	$(BIN)/publisher run-job --once

test: $(BIN)/publisher
	bash stack/install-browser.sh
	bash stack/install-report-tools.sh
	bash stack/install-office.sh
	$(BIN)/publisher build --check
	$(BIN)/publisher validate
	$(BIN)/pytest

down: $(BIN)/publisher
	$(BIN)/publisher ckan down

$(BIN)/publisher: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $@
