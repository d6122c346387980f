// Package broker runs the MQTT broker embedded in central for single-box
// installs, so edges and central need nothing else. It only moves messages
// and decides who may connect and which topics they may use: it must never
// interpret payloads (that is ingest's job). A plant with an external broker
// turns it off.
package broker

import (
	"fmt"
	"log/slog"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Options configure the broker.
type Options struct {
	// Auth, when set, requires every client to authenticate; nil lets every
	// client connect and use every topic.
	Auth *Auth
	// Limits bound packet size, inflight messages and retained messages;
	// the zero value means DefaultLimits.
	Limits Limits
}

// Broker is a running embedded broker.
type Broker struct {
	server *mqtt.Server
	tcp    *listeners.TCP
	closed bool
}

// Start listens on addr (host:port; port 0 picks a free one) and serves
// every client without authentication.
func Start(addr string, log *slog.Logger) (*Broker, error) {
	return StartWith(addr, Options{}, log)
}

// StartWith listens on addr and serves with the given options.
func StartWith(addr string, o Options, log *slog.Logger) (*Broker, error) {
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits()
	}
	caps := mqtt.NewDefaultServerCapabilities()
	o.Limits.apply(caps)
	s := mqtt.New(&mqtt.Options{InlineClient: false, Logger: quietLogger(log), Capabilities: caps})
	var err error
	if o.Auth != nil {
		err = s.AddHook(&authHook{auth: *o.Auth, log: log}, nil)
	} else {
		err = s.AddHook(new(auth.AllowHook), nil)
	}
	if err == nil {
		err = s.AddHook(&limitsHook{limits: o.Limits, server: s, log: log}, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := s.AddListener(tcp); err != nil {
		s.Close()
		return nil, fmt.Errorf("broker: listen on %s: %w", addr, err)
	}
	if err := s.Serve(); err != nil { // returns once the listeners run
		s.Close()
		return nil, fmt.Errorf("broker: serve on %s: %w", addr, err)
	}
	return &Broker{server: s, tcp: tcp}, nil
}

// Addr is the host:port the broker listens on.
func (b *Broker) Addr() string { return b.tcp.Address() }

// Close disconnects every client and stops listening; safe to call twice.
func (b *Broker) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	return b.server.Close()
}
