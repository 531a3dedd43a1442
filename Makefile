# Interview Arena. `make run` serves on http://127.0.0.1:8080 (with one job worker); `make test` runs every test.
# Everything the targets need is installed by the targets themselves.

PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
REQS    := $(sort $(wildcard requirements/*.txt))
WEB     := clients/web
WEB_SRC := $(shell find $(WEB)/src $(WEB)/scripts $(WEB)/index.html $(WEB)/package.json $(WEB)/package-lock.json $(WEB)/vite.config.* $(WEB)/tsconfig*.json -type f 2>/dev/null)
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: cluster install run serve worker bench-jobs test test-py test-web test-llm loadtest bench bench-load soak eval docs demo web system-deps clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch must be exactly 2.13.0 (a local CPU wheel); install it before anything that depends on it.
$(STAMP): pyproject.toml $(REQS) | $(BIN)/python
	@if grep -qs '^torch' $(REQS); then $(BIN)/pip install -q torch==2.13.0; fi
	$(BIN)/pip install -q -e '.[test,load]' $(foreach f,$(REQS),-r $(f))
	@if [ -f requirements/nodeps.txt.in ]; then $(BIN)/pip install -q --no-deps -r requirements/nodeps.txt.in; fi
	touch $@

install: $(STAMP)

# Debian packages for browser and speech tests (root on these machines; skipped when present).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v sox >/dev/null || missing="$$missing sox"; \
	[ -f /usr/share/fonts/truetype/nanum/NanumGothic.ttf ] || missing="$$missing fonts-nanum"; \
	command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing="$$missing haproxy"; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

$(WEB)/node_modules/.installed: $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(WEB)/dist/index.html: $(WEB)/node_modules/.installed $(WEB_SRC)
	cd $(WEB) && npm run build --silent

web:
	@if [ -f $(WEB)/package.json ]; then $(MAKE) --no-print-directory $(WEB)/dist/index.html; fi

run: install web
	$(BIN)/arena serve --host 127.0.0.1 --port 8080

serve: run

# One more job worker for a running server (make run already starts one): REDIS_URL, DATABASE_URL and
# ARENA_KEY_PREFIX as the server's (docs/workers.md).
worker: install
	$(BIN)/arena worker

# Two game processes (ARENA_CLUSTER=1, :8081 and :8082) behind HAProxy on http://127.0.0.1:$(CLUSTER_PORT) (8080), one media
# sidecar; Ctrl-C stops everything (CLUSTER_SECONDS=N stops after N s). docs/cluster.md.
CLUSTER_NODES   ?= 2
CLUSTER_SECONDS ?= 0
CLUSTER_PORT    ?= 8080
cluster: install web system-deps
	$(BIN)/python -m server.cluster_run --nodes $(CLUSTER_NODES) --port $(CLUSTER_PORT) --seconds $(CLUSTER_SECONDS)

demo: install
	$(BIN)/arena demo

test: install system-deps web test-py test-web

test-py: install system-deps
	ARENA_REQUIRE_MEDIA=1 TEST_REDIS_URL=$(TEST_REDIS_URL) TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -q

# Vitest component tests; two browser contexts play a real match in headless Chromium; a player answers
# out loud through a fake microphone (WebRTC -> media sidecar -> transcript -> scored); accounts, the coach
# dashboard and offline Swagger UI (e2e/accounts.e2e.mjs, ~30 s); the Socket.IO Admin UI (e2e/admin-ui.e2e.mjs, ~10 s).
test-web: install web system-deps
	cd $(WEB) && npm test --silent
	cd $(WEB) && REDIS_URL=$(TEST_REDIS_URL) DATABASE_URL=$(TEST_DATABASE_URL) node e2e/match.e2e.mjs
	cd $(WEB) && REDIS_URL=$(TEST_REDIS_URL) DATABASE_URL=$(TEST_DATABASE_URL) node e2e/accounts.e2e.mjs
	cd $(WEB) && REDIS_URL=$(TEST_REDIS_URL) DATABASE_URL=$(TEST_DATABASE_URL) node e2e/resume.e2e.mjs
	cd $(WEB) && REDIS_URL=$(TEST_REDIS_URL) DATABASE_URL=$(TEST_DATABASE_URL) node e2e/admin-ui.e2e.mjs
	cd $(WEB) && REDIS_URL=$(TEST_REDIS_URL) DATABASE_URL=$(TEST_DATABASE_URL) node e2e/journey.e2e.mjs
	cd $(WEB) && REDIS_URL=$(TEST_REDIS_URL) DATABASE_URL=$(TEST_DATABASE_URL) MIC_E2E_REQUIRE=1 node e2e/mic.e2e.mjs

# Optional: the LLM chain against a real local OpenAI-compatible server (OPENAI_BASE_URL; see docs/llm.md).
test-llm: install
	$(BIN)/python -m personas.llm.live_check

# Bounded load test: 50 users, 60 s, against a server this target starts on 127.0.0.1.
loadtest: install
	$(BIN)/python -m loadtest.run --users 50 --spawn-rate 10 --run-time 60

# One game process under issue 11's workload (Node socket.io-client driver on CPU 1, server on CPU 0), and raw
# python-socketio doing the same fan-out in the same run. Needs the whole machine: ~5 min per player count.
# BENCH_ARGS: e.g. --players 500 --window 20 (docs/performance.md, "One game process").
bench-load: install web
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	  $(BIN)/python -m loadtest.bench_load $(BENCH_ARGS)

# Bounded soak (default 15 min at 500 players): RSS slope and p99 over time. SOAK_ARGS: e.g. --minutes 3.
soak: install web
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	  $(BIN)/python -m loadtest.soak $(SOAK_ARGS)

bench: install
	$(BIN)/python -m benchmarks.match
	$(BIN)/python -m benchmarks.room_state
	$(BIN)/python -m scoring.bench

# Room jobs inline vs in an arena worker: the game loop's lag and CPU, same run (docs/performance.md).
bench-jobs: install
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python -m benchmarks.jobs

# Scorer vs the hand-graded answers: Spearman and quadratic weighted kappa (docs/evaluation.md).
eval: install
	$(BIN)/python -m benchmarks.eval

docs: install
	$(BIN)/arena protocol-docs > docs/protocol.md

clean:
	rm -rf $(VENV) $(WEB)/node_modules $(WEB)/dist .arena
