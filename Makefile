# voicepod — `make up` runs the pod, `make test` runs the whole suite.
# Both create .venv and install the project into it first; nothing else is needed
# on a Debian machine with Python 3.11 (scripts/bootstrap.sh adds python3-venv if missing).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: up test test-long check deploy-check proto lint bench clean help

help:
	@echo "make up     - set up .venv and run the pod (nats-server, six services, gateway)"
	@echo "make test   - set up .venv with test tools and run every check and test"
	@echo "make test-long - the minutes-long runs: faults during a live call, the 10-minute soak"
	@echo "make proto  - regenerate bus/contracts from proto/"
	@echo "make bench  - run the benchmarks, results in bench/results and docs/performance.md"

$(BIN)/python:
	PYTHON=$(PYTHON) scripts/bootstrap.sh $(VENV)

# The end-of-turn model's wheel (gateway/media/end_of_turn.py), without its dependencies: only its
# ONNX file is used, and its pins (protobuf < 7) clash with ours, so it cannot be in pyproject.toml.
MODEL_WHEELS = pipecat-ai==1.14.0

# Stamps record which extras are installed, and re-run when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/pip install --quiet --no-deps $(MODEL_WHEELS)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps $(MODEL_WHEELS)
	touch $@ $(VENV)/.installed-run

up: $(VENV)/.installed-run
	$(BIN)/voicepod up

proto: $(VENV)/.installed-dev
	$(BIN)/python scripts/gen_proto.py

# Contract checks: lint, generated code is fresh, no wire-breaking change against main.
check: $(VENV)/.installed-dev
	$(BIN)/buf lint proto
	$(BIN)/python scripts/gen_proto.py --check
	BUF=$(BIN)/buf scripts/buf_breaking.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) deploy-check

# The deploy files, checked without a Docker engine or a cluster. The Compose binary is called
# directly (its Python wrapper always exits 0).
deploy-check: $(VENV)/.installed-dev
	$(BIN)/hadolint deploy/Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml deploy/compose.tls.yaml
	"$$($(BIN)/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')" \
		-f compose.yaml --env-file .env.example config --quiet
	"$$($(BIN)/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')" \
		-f compose.yaml -f deploy/compose.tls.yaml --env-file .env.example config --quiet
	$(BIN)/kubectl kustomize deploy/k8s/overlays/example | $(BIN)/kubernetes-validate --strict --quiet -
	$(BIN)/kubectl kustomize deploy/k8s/overlays/example-tls | $(BIN)/kubernetes-validate --strict --quiet -

test: check
	$(BIN)/pytest -q -ra

# Minutes-long runs kept out of `make test` (its budget is 15 minutes on 2 cores); CI runs both.
test-long: $(VENV)/.installed-dev
	$(BIN)/pytest -q -ra -m long

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.bus_rpc
	$(BIN)/python -m bench.mls_search
	$(BIN)/python -m bench.turn_latency
	$(BIN)/python -m bench.tts_first_audio
	$(BIN)/python -m bench.media_stages
	$(BIN)/python -m bench.end_of_turn
	$(BIN)/python -m bench.false_interruptions
	$(BIN)/python -m bench.capacity

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
