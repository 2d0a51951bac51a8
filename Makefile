# Loupe: the two commands a new user runs. Both install what they need on Debian/Ubuntu first.
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libhdf5-dev libopenblas-dev libpng-dev libturbojpeg0-dev libcairo2-dev fonts-dejavu-core \
                pkg-config python3-h5py python3-nbformat python3-numpy python3-pytest python3-torch python3-torchvision \
                python3-sklearn python3-matplotlib python3-ipykernel jupyter-nbconvert
# Python test folders that exist in this checkout; each runs under pytest after the Swift tests.
# python/tests: loupe_torch; analyzers/tests: generated notebooks executed headless; analyzers/*/tests:
# the external analyzers shipped in analyzers/ (e.g. linear-probe), end to end (through the debug build of loupe).
PYTHON_TESTS := $(wildcard python/tests) $(wildcard analyzers/tests) $(wildcard analyzers/*/tests)
# The interpreter the Debian python3-* packages above install into (a pyenv or venv python3 earlier on
# PATH would not see them).
PYTHON := $(firstword $(wildcard /usr/bin/python3) python3)
DEMO_ARGS ?=

.PHONY: demo demo-fashion-mnist test deps build release clean fuzz

## demo: build in release mode and run the whole study on built-in synthetic data
demo: deps release
	.build/release/loupe demo $(DEMO_ARGS)

## demo-fashion-mnist: the same study on Fashion-MNIST (installs Debian's dataset-fashion-mnist)
demo-fashion-mnist: deps release
	@dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq dataset-fashion-mnist; }
	.build/release/loupe demo --data fashion-mnist --out notebooks-out/demo-fashion-mnist --runs runs/demo-fashion-mnist $(DEMO_ARGS)

# Suites run a second time in the shipped (-O) configuration: the readers of other people's files and
# the bad-input corpus, where a check the optimiser removed would matter.
RELEASE_TESTS := BadInputCorpusTests|MalformedFileTests|MalformedDumpTests|HDF5ErrorTests|HDF5HugeShapeTests|ImageCodecTests|CheckpointTests|DataReaderTests|ZeroGradCorpusTests

## test: build and run every test (Swift Testing, debug), the reader suites again in release, then pytest
test: deps
	swift build --build-tests
	swift test --skip-build
	swift build -c release --build-tests -Xswiftc -enable-testing --scratch-path .build-release-tests
	swift test -c release --skip-build -Xswiftc -enable-testing --scratch-path .build-release-tests --filter '$(RELEASE_TESTS)'
	@if [ -n "$(strip $(PYTHON_TESTS))" ]; then $(PYTHON) -m pytest -q $(PYTHON_TESTS); fi

## deps: install the Debian packages Loupe links and tests against, when missing
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	swift build

release: deps
	swift build -c release --product loupe

clean:
	rm -rf .build

## fuzz: libFuzzer + AddressSanitizer on every file reader, SECONDS each (default 600); FUZZ_JOBS at once
SECONDS ?= 600
FUZZ_JOBS ?= 1
fuzz: deps
	FUZZ_JOBS=$(FUZZ_JOBS) bash fuzz/run.sh $(SECONDS)
