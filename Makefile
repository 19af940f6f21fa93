# drover's build, run and test entry points. `make test` is what CI runs.
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
STATE_DIR   ?= ./var
BIN         := bin/drover

.PHONY: all build run dev test test-short fuzz lint bench deps clean

all: build

# The static binary the README promises: pure Go (SQLite included), no
# libc, so it runs on any Linux of its architecture. CGO off also gives
# os/user and net their pure-Go versions.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/drover

# Serve drover's API on 127.0.0.1:8000 with one worker per CPU, on a local
# state dir with a signing key generated on first use. The binary is built,
# then run, rather than `go run`: go run exits 1 when Ctrl-C interrupts it,
# whatever its program's status, which make reports as "Error 1"; drover
# itself exits 0 after a clean stop on INT.
run: build $(STATE_DIR)/secret.key
	./$(BIN) serve --state-dir $(STATE_DIR) --secret-key-file $(STATE_DIR)/secret.key

$(STATE_DIR)/secret.key:
	@mkdir -p $(STATE_DIR) && chmod 700 $(STATE_DIR)
	@umask 077 && head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=' > $@ && echo >> $@
	@echo "generated $@ (the JWT signing key; keep it secret)"

# The development server: one process, one request at a time.
dev:
	$(GO) run ./cmd/drover dev

# Every test, with the race detector. Installs what the tests need first.
test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 12m ./...
	cd examples/notes && $(GO) vet ./... && $(GO) test -race -count=1 -timeout 5m ./...

test-short:
	$(GO) test -short -count=1 ./...

# Run every fuzz target for FUZZTIME each (the seeds also run in `make test`).
FUZZTIME ?= 20s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd examples/notes && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...
	@tmp=$$(mktemp -d); cp go.mod go.sum $$tmp/; $(GO) mod tidy; \
	  if ! cmp -s go.mod $$tmp/go.mod || ! cmp -s go.sum $$tmp/go.sum; then \
	    echo "go mod tidy changes go.mod/go.sum:"; diff -u $$tmp/go.mod go.mod; diff -u $$tmp/go.sum go.sum; \
	    cp $$tmp/go.mod $$tmp/go.sum .; rm -rf $$tmp; exit 1; fi; rm -rf $$tmp

# The benchmark harness (bench/): drover beside nginx, the Go ceiling and
# Gunicorn + DRF in one run; writes bench/RESULTS.md and bench/chart.svg.
# make bench ARGS=--quick finishes in under a minute.
ARGS ?=
bench: deps
	$(GO) run ./bench $(ARGS)

# What the tests need beyond Go, from Debian (apt-get, when root and
# missing): python3-jwt, the independent JWT library of the interop test
# and the JWKS consumer; postgresql, whose initdb and server the tests run
# as throwaway clusters (Debian's package also creates and starts a
# cluster of its own on port 5432, which no test uses); python3-psycopg2
# for a Django on PostgreSQL whose users drover imports;
# prometheus for its promtool, which lints /metrics (22 MB to download);
# chromium, headless, which loads the status page (with fonts-dejavu-core
# for its screenshot: 124 MB to download, 414 MB installed). Those of
# APT_LEAN go in without their recommends (chromium's are a desktop's:
# printing, GL drivers, a notification daemon; prometheus' is
# prometheus-node-exporter, a second service the tests have no use for).
APT_LEAN     := chromium fonts-dejavu-core prometheus
APT_PACKAGES := python3-jwt python3-cryptography python3-django python3-argon2 \
                python3-djangorestframework python3-djangorestframework-simplejwt python3-gunicorn python3-psycopg2 \
                systemd nginx libnginx-mod-stream wrk gunicorn jq logrotate postgresql $(APT_LEAN)
deps:
	@missing=""; lean=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' && continue; \
	  case " $(APT_LEAN) " in *" $$p "*) lean="$$lean $$p";; *) missing="$$missing $$p";; esac; done; \
	if [ -n "$$missing$$lean" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    { [ -z "$$missing" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; } && \
	    { [ -z "$$lean" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$lean; }; \
	  else echo "missing packages:$$missing$$lean (run make deps as root)"; exit 1; fi; \
	fi
	$(GO) mod download
	cd examples/notes && $(GO) mod download

clean:
	rm -rf bin
