# linewise — the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
BIN     ?= bin
DEMO    ?= data/demo
PROGRAMS = ./central/cmd/central ./edge/cmd/edge ./devices/cmd/linesim

.PHONY: all build run test test-short bench check-config vet clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ $(PROGRAMS)

# Starts central (SQLite + embedded MQTT broker), the line simulator and the
# edge agent for L1 on a fresh demo data folder. Ctrl-C stops all three.
run: build check-config
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	@trap 'echo; echo "linewise: stopping..."' INT TERM; \
	$(BIN)/central --config configs/central.yaml & \
	sleep 1; \
	$(BIN)/linesim --config configs/linesim.yaml & \
	sleep 1; \
	$(BIN)/edge --config configs/edge-L1.yaml & \
	sleep 3; \
	echo ""; \
	echo "  linewise is running:"; \
	echo "    dashboard         http://127.0.0.1:8480/  (sign in as super / super-demo)"; \
	echo "    wall screen       http://127.0.0.1:8480/?kiosk=demo-kiosk-wall-screen-token  (dashboard only, no sign-in)"; \
	echo "    lines (JSON)      curl -H 'Authorization: Bearer demo-kiosk-wall-screen-token' http://127.0.0.1:8480/api/v1/lines"; \
	echo "    simulator truth   http://127.0.0.1:8471/truth"; \
	echo "    edge health       http://127.0.0.1:8491/healthz"; \
	echo "  Ctrl-C stops everything."; \
	echo ""; \
	wait || wait; exit 0

check-config: build
	@$(BIN)/central --config configs/central.yaml --check-config
	@$(BIN)/linesim --config configs/linesim.yaml --check-config
	@$(BIN)/edge --config configs/edge-L1.yaml --check-config

vet:
	$(GO) vet ./...

# The whole suite. Tests that need PostgreSQL, Mosquitto and the like start or
# find them themselves; with CI=true a missing one fails instead of skipping.
test: vet
	$(GO) test -count=1 -timeout 19m ./...

test-short:
	$(GO) test -short -count=1 ./...

# Every capability's benchmark, printing its figures: the scheduler on the
# classic job-shop instances against a first-fit baseline, on generated
# Taillard and flexible instances against a lower bound, and at plant scale;
# device drivers against the simulator (and Telegraf, when built with
# .ci/telegraf.sh); edge→central events/s and latency on SQLite and
# PostgreSQL; order queries over 100,000 orders. Not part of `make test`.
bench:
	LINEWISE_BENCH=1 $(GO) test -count=1 -run '^TestBench' -v -timeout 90m ./... 2>&1 | grep -v -E '^(=== RUN|=== PAUSE|=== CONT|ok |\?|PASS$$)'

clean:
	rm -rf $(BIN) data
