#!/usr/bin/env bash
# Builds the Telegraf binary the device benchmark compares against
# (devices/bench, `make bench`). Idempotent: does nothing when the binary is
# already there at the pinned version. The build takes ~10 minutes on two
# cores, so it runs at the lowest CPU priority.
#
#   .ci/telegraf.sh            # build into $(go env GOPATH)/bin/telegraf
#   LINEWISE_TELEGRAF=/x/telegraf .ci/telegraf.sh   # check that binary instead
set -euo pipefail

VERSION=1.32.3
GO=${GO:-go}
BIN=${LINEWISE_TELEGRAF:-$("$GO" env GOPATH)/bin/telegraf}

# `go install` builds carry no version ldflags ("Telegraf unknown"), so the
# module version is read from the binary's build info instead.
is_pinned() {
	[ -x "$1" ] && "$GO" version -m "$1" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/influxdata/telegraf[[:space:]]+v${VERSION}[[:space:]]"
}

if is_pinned "$BIN"; then
	echo "telegraf: $BIN is v${VERSION}"
	exit 0
fi

if [ -n "${LINEWISE_TELEGRAF:-}" ]; then
	echo "telegraf: LINEWISE_TELEGRAF=$BIN is missing or not v${VERSION}; unset it to build into GOPATH/bin" >&2
	exit 1
fi

echo "telegraf: building v${VERSION} into $("$GO" env GOPATH)/bin (about 10 minutes)..."
# Outside the repository, so the linewise go.mod is neither read nor touched.
cd "${TMPDIR:-/tmp}"
GONOSUMDB=github.com/influxdata/tail GOFLAGS=-buildvcs=false \
	nice -n 19 "$GO" install "github.com/influxdata/telegraf/cmd/telegraf@v${VERSION}"
is_pinned "$BIN" && echo "telegraf: built $BIN (v${VERSION})"
