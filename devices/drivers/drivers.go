// Package drivers is the registry of device drivers by name: the one place
// that knows every protocol package. The edge agent opens devices through it.
package drivers

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/configerr"
	"github.com/linewise/linewise/devices/modbus"
	"github.com/linewise/linewise/devices/mqtt"
	"github.com/linewise/linewise/devices/opcua"
	"github.com/linewise/linewise/devices/qc"
	"github.com/linewise/linewise/devices/scanner"
	"github.com/linewise/linewise/devices/synthetic"
	"gopkg.in/yaml.v3"
)

// Device is one configured device, validated and ready to run. Exactly one of
// Poller and Pusher is set. Opening a Device never touches the network.
type Device struct {
	Name         string
	Driver       string
	Signals      []string      // signal names it delivers, in configuration order
	PollInterval time.Duration // for pollers
	Poller       devices.Poller
	Pusher       devices.Pusher
}

// Factory decodes and validates one device's YAML mapping (which also holds
// the common keys name, driver and poll_interval) and builds its driver.
// Problems come back as configerr.FieldError with paths relative to the node.
type Factory func(name string, node *yaml.Node, log *slog.Logger) (Device, error)

// registry is filled in one place, here, not by init side effects.
var registry = map[string]Factory{
	"modbus": func(name string, node *yaml.Node, log *slog.Logger) (Device, error) {
		cfg, err := modbus.DecodeConfig(node)
		if err != nil {
			return Device{}, err
		}
		d, err := modbus.New(name, cfg, log)
		if err != nil {
			return Device{}, err
		}
		return Device{Signals: cfg.SignalNames(), PollInterval: cfg.PollInterval, Poller: d}, nil
	},
	"mqtt": func(name string, node *yaml.Node, log *slog.Logger) (Device, error) {
		cfg, err := mqtt.DecodeConfig(node)
		if err != nil {
			return Device{}, err
		}
		d, err := mqtt.New(name, cfg, log)
		if err != nil {
			return Device{}, err
		}
		return Device{Signals: cfg.SignalNames(), Pusher: d}, nil
	},
	"qc-mqtt": func(name string, node *yaml.Node, log *slog.Logger) (Device, error) {
		cfg, err := qc.DecodeConfig(node)
		if err != nil {
			return Device{}, err
		}
		d, err := qc.New(name, cfg, log)
		if err != nil {
			return Device{}, err
		}
		return Device{Signals: cfg.SignalNames(), Pusher: d}, nil
	},
	"scanner-tcp": func(name string, node *yaml.Node, log *slog.Logger) (Device, error) {
		cfg, err := scanner.DecodeConfig(node)
		if err != nil {
			return Device{}, err
		}
		d, err := scanner.New(name, cfg, log)
		if err != nil {
			return Device{}, err
		}
		return Device{Signals: cfg.SignalNames(), Pusher: d}, nil
	},
	"synthetic": func(name string, node *yaml.Node, log *slog.Logger) (Device, error) {
		cfg, err := synthetic.DecodeConfig(node)
		if err != nil {
			return Device{}, err
		}
		d, err := synthetic.New(name, cfg, log)
		if err != nil {
			return Device{}, err
		}
		return Device{Signals: cfg.SignalNames(), Pusher: d}, nil
	},
	"opcua": func(name string, node *yaml.Node, log *slog.Logger) (Device, error) {
		cfg, err := opcua.DecodeConfig(node)
		if err != nil {
			return Device{}, err
		}
		if cfg.Mode == "subscribe" {
			s, err := opcua.NewSubscriber(name, cfg, log)
			if err != nil {
				return Device{}, err
			}
			return Device{Signals: cfg.SignalNames(), Pusher: s}, nil
		}
		d, err := opcua.New(name, cfg, log)
		if err != nil {
			return Device{}, err
		}
		return Device{Signals: cfg.SignalNames(), PollInterval: cfg.PollInterval, Poller: d}, nil
	},
}

// Dir is the folder under devices/ of a driver's package: the name up to
// its first '-' ("scanner-tcp" lives in devices/scanner).
func Dir(driver string) string {
	dir, _, _ := strings.Cut(driver, "-")
	return dir
}

// Names lists the registered drivers.
func Names() []string {
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Open builds device name with the named driver from its config node.
func Open(driver, name string, node *yaml.Node, log *slog.Logger) (Device, error) {
	f, ok := registry[driver]
	if !ok {
		return Device{}, configerr.Field("driver", "unknown driver %q (one of %s)", driver, strings.Join(Names(), ", "))
	}
	d, err := f(name, node, log)
	if err != nil {
		return Device{}, err
	}
	if (d.Poller == nil) == (d.Pusher == nil) {
		return Device{}, fmt.Errorf("device %s: driver %s built neither or both of poller and pusher", name, driver)
	}
	d.Name, d.Driver = name, driver
	return d, nil
}
