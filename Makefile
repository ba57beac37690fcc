# mcucompile: `make demo` and `make test` work on a fresh Debian machine (they set everything up).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEB_PKGS := gcc make cmake gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm chromium
DEMO_MODEL := examples/tiny_cnn_int8.tflite

.PHONY: all setup toolchain demo lint test test-fast bench clean

all: demo

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,convert]'
	touch $@

# Debian toolchain: installed when missing and we are root; otherwise say what to install.
toolchain:
	@missing=""; \
	command -v gcc >/dev/null || missing="$$missing gcc"; \
	command -v cmake >/dev/null || missing="$$missing cmake"; \
	command -v arm-none-eabi-gcc >/dev/null || missing="$$missing gcc-arm-none-eabi libnewlib-arm-none-eabi"; \
	command -v qemu-system-arm >/dev/null || missing="$$missing qemu-system-arm"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages: $(DEB_PKGS)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS) >/dev/null; \
	  else \
	    echo "warning: missing$$missing; run as root or: sudo apt-get install $(DEB_PKGS)"; \
	  fi; \
	fi

setup: $(VENV)/.installed toolchain

demo: setup
	$(BIN)/mcucompile analyze $(DEMO_MODEL)
	$(BIN)/mcucompile compile $(DEMO_MODEL) -o build/demo
	$(BIN)/mcucompile simulate $(DEMO_MODEL) --samples 20
	$(BIN)/mcucompile simulate $(DEMO_MODEL) --board qemu-m4 --samples 3
	$(BIN)/mcucompile simulate $(DEMO_MODEL) --patch auto --io-outside --samples 5

# ruff over everything, mypy over the compiler's lower layers (pyproject.toml [tool.ruff], [tool.mypy])
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

# pytest-xdist: TEST_JOBS worker processes (`make test TEST_JOBS=1` for one process); --dist loadfile keeps a
# test file on one worker, so its module-scoped fixtures (converted models, built firmware) are made once
TEST_JOBS ?= 2
PYTEST := $(BIN)/pytest -q -ra -n $(TEST_JOBS) --dist loadfile

test: setup lint
	$(PYTEST)

test-fast: setup
	$(PYTEST) -m "not slow"

bench: setup
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/cycles.py
	$(BIN)/python bench/convert.py

clean:
	rm -rf build .pytest_cache
