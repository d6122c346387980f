// Package bench holds the device benchmark (`make bench`): our OPC UA and
// Modbus drivers, and Telegraf's, reading 1,000 changing values from the
// simulator, side by side. It is all in bench_test.go, gated by
// LINEWISE_BENCH=1 so `make test` never runs it; this file exists so the
// package has a doc comment. Nothing may import it.
//
// Run it alone with
//
//	LINEWISE_BENCH=1 go test -count=1 -run '^TestBench' -v ./devices/bench/
//
// LINEWISE_BENCH_SECONDS (default 20) and LINEWISE_BENCH_WARMUP (default 5)
// set the measuring window and warm-up; LINEWISE_TELEGRAF points at a
// Telegraf binary (default: GOPATH/bin/telegraf, built by .ci/telegraf.sh).
package bench
