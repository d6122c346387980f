// Command linesim runs the line simulator: OPC UA, Modbus TCP and MQTT
// signals for simulated production lines, plus an HTTP API for the ground
// truth and fault injection. See package devices/linesim.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/linewise/linewise/devices/linesim"
)

func main() {
	path := flag.String("config", "configs/linesim.yaml", "simulator config file (YAML)")
	check := flag.Bool("check-config", false, "validate the config and exit")
	flag.Parse()

	cfg, err := linesim.LoadConfig(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if *check {
		fmt.Printf("%s: ok (%d lines)\n", *path, len(cfg.Lines))
		return
	}
	base := slog.New(slog.NewTextHandler(os.Stderr, nil))
	linesim.RouteStdlog(base) // gopcua's server prints "doing objects." and the like there
	log := base.With("component", "linesim")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := linesim.Run(ctx, cfg, log); err != nil {
		log.Error("linesim failed", "err", err)
		os.Exit(1)
	}
}
