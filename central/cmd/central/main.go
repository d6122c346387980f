// Command central runs linewise central: ingest from edges, the store, the
// API and the supervisor dashboard. Flags are parsed here and nowhere else.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/linewise/linewise/central/app"
)

const defaultConfig = "configs/central.yaml"

func main() {
	os.Exit(run())
}

func run() int {
	configPath := flag.String("config", "", "YAML config file (default "+defaultConfig+" if it exists, else built-in defaults)")
	check := flag.Bool("check-config", false, "validate the configuration and exit")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, source, err := loadConfig(*configPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if *check {
		fmt.Printf("%s: ok\n", source)
		return 0
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, err := app.New(cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := a.Start(ctx); err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	fmt.Printf("linewise central: dashboard at http://%s/\n", a.HTTPAddr())
	<-ctx.Done()
	stop() // a second signal kills at once
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := a.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	return 0
}

func loadConfig(path string) (app.Config, string, error) {
	if path != "" {
		cfg, err := app.LoadConfig(path)
		return cfg, path, err
	}
	if _, err := os.Stat(defaultConfig); err == nil {
		cfg, err := app.LoadConfig(defaultConfig)
		return cfg, defaultConfig, err
	} else if !errors.Is(err, fs.ErrNotExist) {
		return app.Config{}, defaultConfig, err
	}
	cfg := app.DefaultConfig()
	return cfg, "built-in defaults", cfg.Validate()
}
