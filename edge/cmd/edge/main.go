// Command edge is the linewise edge agent: it reads a line's devices and
// delivers its events to central exactly once in effect.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/linewise/linewise/edge/agent"
	"github.com/linewise/linewise/edge/config"
)

func main() {
	path := flag.String("config", "configs/edge-L1.yaml", "agent configuration file (YAML)")
	check := flag.Bool("check-config", false, "validate the configuration and exit")
	debug := flag.Bool("debug", false, "log per-poll detail")
	flag.Parse()

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("component", "edge")

	cfg, err := config.Load(*path, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if *check {
		for _, w := range cfg.Warnings {
			fmt.Println("warning:", w)
		}
		fmt.Printf("%s: ok (%d devices, %d counters, %d warnings)\n", *path, len(cfg.Devices), len(cfg.Counters), len(cfg.Warnings))
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// SIGHUP reloads the configuration without losing events.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	first := true
	load := func() (*config.Loaded, error) {
		if first {
			first = false
			return cfg, nil
		}
		return config.Load(*path, log)
	}
	if err := agent.RunReloading(ctx, load, reload, log.With("edge", cfg.EdgeID, "line", cfg.Line)); err != nil {
		fmt.Fprintln(os.Stderr, "edge:", err)
		os.Exit(1)
	}
}
