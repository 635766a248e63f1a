# Two commands do all set-up on a fresh machine (Python 3.10+ with venv):
#   make demo   # creates .venv, installs everything pinned, runs the demo
#   make test   # the test suite on $KERAS_BACKEND (default: tensorflow)
# Switch backend with KERAS_BACKEND=jax or KERAS_BACKEND=torch.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KERAS_BACKEND ?= tensorflow
export KERAS_BACKEND

.PHONY: demo test lint install browser clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]" \
		tensorflow-cpu jax jaxlib torch
	# KerasHub, for the tests' zoo of its backbones: it requires tensorflow-text,
	# which requires the full tensorflow wheel, so it goes in without its
	# dependencies, plus the two its import needs.
	$(BIN)/python -m pip install --quiet -c constraints.txt --no-deps keras-hub
	$(BIN)/python -m pip install --quiet -c constraints.txt regex tokenizers
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/kerascope demo

# The report test opens the HTML report in a real browser: Debian's chromium,
# installed here when missing and this is a root shell with apt-get.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	      || echo "warning: could not install chromium; the browser test will be skipped"; \
	  else \
	    echo "note: no chromium (apt-get install chromium); the browser test will be skipped"; \
	  fi; }

test: install browser
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
