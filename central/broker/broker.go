// Package broker runs the MQTT broker embedded in central for single-box
// installs, so edges and central need nothing else. It only moves messages:
// it must never interpret them (that is ingest's job). A plant with an
// external broker turns it off.
package broker

import (
	"fmt"
	"log/slog"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Broker is a running embedded broker.
type Broker struct {
	server *mqtt.Server
	tcp    *listeners.TCP
	closed bool
}

// Start listens on addr (host:port; port 0 picks a free one) and serves.
// Every client is allowed for now: authentication is a later slice.
func Start(addr string, log *slog.Logger) (*Broker, error) {
	s := mqtt.New(&mqtt.Options{InlineClient: false, Logger: log})
	if err := s.AddHook(new(auth.AllowHook), nil); err != nil {
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
