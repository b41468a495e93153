# voicepod — `make up` runs the pod, `make test` runs the whole suite.
# Both create .venv and install the project into it first; nothing else is needed
# on a Debian machine with Python 3.11 (scripts/bootstrap.sh adds python3-venv if missing).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: up test test-long check deploy-check image proto lint bench clean help

help:
	@echo "make up     - set up .venv and run the pod (nats-server, six services, gateway)"
	@echo "make test   - set up .venv with test tools and run every check and test"
	@echo "make test-long - the minutes-long runs: faults during a live call, the 10-minute soak"
	@echo "make image  - build the container image with podman on a Debian base (scripts/build_image.sh)"
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

# Type-checked with mypy --strict ([tool.mypy] in pyproject.toml).
MYPY_PATHS = bus gateway services pod proc caller evals bench verticals tests

# Contract checks: lint, types, generated code is fresh, no wire-breaking change against main.
check: $(VENV)/.installed-dev
	$(BIN)/buf lint proto
	$(BIN)/python scripts/gen_proto.py --check
	BUF=$(BIN)/buf scripts/buf_breaking.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(MYPY_PATHS)
	$(MAKE) deploy-check

# The deploy files, checked without a Docker engine or a cluster. The Compose binary is called
# directly (its Python wrapper always exits 0).
deploy-check: $(VENV)/.installed-dev
	$(BIN)/hadolint deploy/Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml deploy/compose.tls.yaml deploy/compose.port-range.yaml
	"$$($(BIN)/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')" \
		-f compose.yaml --env-file .env.example config --quiet
	"$$($(BIN)/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')" \
		-f compose.yaml -f deploy/compose.tls.yaml --env-file .env.example config --quiet
	@# compose.offline.yaml uses Compose's !override tag, which check-jsonschema's YAML parser refuses.
	"$$($(BIN)/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')" \
		-f compose.yaml -f deploy/compose.offline.yaml --env-file .env.example config --quiet
	"$$($(BIN)/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')" \
		-f compose.yaml -f deploy/compose.port-range.yaml --env-file .env.example config --quiet
	$(BIN)/kubectl kustomize deploy/k8s/overlays/example | $(BIN)/kubernetes-validate --strict --quiet -
	$(BIN)/kubectl kustomize deploy/k8s/overlays/example-tls | $(BIN)/kubernetes-validate --strict --quiet -
	@# Dashboards and alerts: promtool checks the rules, runs their unit tests, and checks the scrape
	@# config; the optional Prometheus + Grafana overlay is a valid Compose file.
	scripts/check_prometheus.sh
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec deploy/compose.monitoring.yaml
	GRAFANA_ADMIN_PASSWORD=deploy-check "$$($(BIN)/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')" \
		-f compose.yaml -f deploy/compose.monitoring.yaml --env-file .env.example config --quiet

# The container image, built with podman on a base made from Debian's packages (no image registry
# needed); checks the image's own HEALTHCHECK. Root, podman, runc and debootstrap (scripts/build_image.sh).
image:
	scripts/build_image.sh

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
	$(BIN)/python -m bench.phone_media
	$(BIN)/python -m bench.end_of_turn
	$(BIN)/python -m bench.false_interruptions
	$(BIN)/python -m bench.capacity

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
