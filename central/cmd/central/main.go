// Command central runs linewise central: ingest from edges, the store, the
// API and the supervisor dashboard. `central user …` manages users in the
// configured store without a running server (user.go). Flags are parsed here
// and nowhere else.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

const usage = `usage:
  central [--config FILE] [--check-config]      run central (or validate its config and exit)
  central [--config FILE] user add --username NAME --role ROLE [--display-name TEXT] [--badge CODE] [--password-file FILE]
  central [--config FILE] user passwd --username NAME [--password-file FILE]
  central [--config FILE] user disable|enable --username NAME
  central [--config FILE] user list

The user commands read the password from --password-file or, without it,
from standard input (a pipe or a file, never a terminal and never argv).

Environment: LINEWISE_ADMIN_PASSWORD (or LINEWISE_ADMIN_PASSWORD_FILE) and
LINEWISE_ADMIN_USER (default admin) create that admin at start when the
store has no enabled admin.
`

// run is central's whole command line. It returns the exit code: 0 ok, 1 a
// failure, 2 bad usage or input.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	flags := flag.NewFlagSet("central", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", "", "YAML config file (default "+defaultConfig+" if it exists, else built-in defaults)")
	check := flags.Bool("check-config", false, "validate the configuration and exit")
	flags.Usage = func() { fmt.Fprint(stderr, usage+"\nflags:\n"); flags.PrintDefaults() }
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if rest := flags.Args(); len(rest) > 0 {
		switch rest[0] {
		case "user":
			return runUser(ctx, *configPath, rest[1:], stdin, stdout, stderr)
		default:
			fmt.Fprintf(stderr, "central: unknown command %q\n", rest[0])
			flags.Usage()
			return 2
		}
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, source, err := loadConfig(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if cfg.AdminBootstrap, err = app.AdminFromEnv(getenv); err != nil {
		fmt.Fprintf(stderr, "central: %v\n", err)
		return 2
	}
	if *check {
		fmt.Fprintf(stdout, "%s: ok\n", source)
		return 0
	}

	a, err := app.New(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err := a.Start(ctx); err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	scheme := "http"
	if cfg.TLS.CertFile != "" {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "linewise central: dashboard at %s://%s/ (sign in)\n", scheme, a.HTTPAddr())
	if cfg.Demo {
		fmt.Fprintf(stdout, "linewise central: demo sign-in super/super-demo (supervisor), admin/admin-demo; wall screen without sign-in: %s://%s%s\n",
			scheme, a.HTTPAddr(), app.DemoKioskPath)
	}
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
