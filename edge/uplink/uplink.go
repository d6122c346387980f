// Package uplink carries event batches from the edge to central and brings
// back central's acknowledgements. The agent's sender owns resending and the
// outbox; an uplink only moves bytes and must never block the agent forever.
package uplink

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/linewise/linewise/edge/wire"
)

// Uplink is one way to central.
type Uplink interface {
	// Publish hands an encoded batch to the transport. A nil error means
	// the transport took it (for MQTT: the broker's PUBACK), not that
	// central committed it: only an Ack says that.
	Publish(ctx context.Context, b wire.EncodedBatch) error
	// Acks delivers central's acknowledgements.
	Acks() <-chan wire.Ack
	Connected() bool
	// Reconnect drops the connection and makes a fresh one, for a link
	// that is up but moves nothing (the sender saw no ack progress).
	Reconnect()
	Close()
}

// ErrNotConnected is returned by Publish while the transport is down.
var ErrNotConnected = errors.New("uplink: not connected")

// MQTTConfig configures the MQTT uplink.
type MQTTConfig struct {
	Broker, ClientID, Username, Password string
	EdgeID                               string
	// Liveness: the retained status on wire.StatusTopic, its Last Will and
	// the heartbeat interval (0: no heartbeat, only connect and shutdown).
	Liveness Liveness
}

// Liveness is what an uplink tells central about the edge itself, so that
// central notices an edge that died, lost power or lost its network.
type Liveness struct {
	Version   string
	StartedAt time.Time
	Heartbeat time.Duration
	// Backlog, when set, is the outbox's depth and the age of its oldest
	// unacknowledged event, sent with every "online" heartbeat.
	Backlog func() (depth int64, oldest time.Duration)
}

func (l Liveness) status(edge, st string, at time.Time) []byte {
	s := wire.Status{EdgeID: edge, Status: st, Version: l.Version, StartedAt: l.StartedAt.UTC(), At: at.UTC()}
	b, _ := json.Marshal(s)
	return b
}

// heartbeat is an "online" status with the backlog.
func (l Liveness) heartbeat(edge string, at time.Time) []byte {
	s := wire.Status{EdgeID: edge, Status: wire.StatusOnline, Version: l.Version, StartedAt: l.StartedAt.UTC(), At: at.UTC()}
	if l.Backlog != nil {
		depth, oldest := l.Backlog()
		age := oldest.Seconds()
		s.OutboxDepth, s.OldestUnackedS = &depth, &age
	}
	b, _ := json.Marshal(s)
	return b
}

// MQTT publishes batches with QoS 1 on a persistent session and receives
// acks on the edge's ack topic.
type MQTT struct {
	cfg        MQTTConfig
	client     paho.Client
	acks       chan wire.Ack
	log        *slog.Logger
	connected  atomic.Bool
	Reconnects atomic.Int64
	stop       chan struct{}
	stopOnce   sync.Once
	// reconnecting: a Reconnect is under way.
	reconnecting atomic.Bool
}

var _ Uplink = (*MQTT)(nil)

// NewMQTT starts connecting in the background (retrying for ever with
// paho's capped backoff) and returns at once.
func NewMQTT(cfg MQTTConfig, log *slog.Logger) *MQTT {
	m := &MQTT{cfg: cfg, acks: make(chan wire.Ack, 1024), log: log, stop: make(chan struct{})}
	opts := paho.NewClientOptions().
		AddBroker(cfg.Broker).
		SetClientID(cfg.ClientID).
		SetUsername(cfg.Username).
		SetPassword(cfg.Password).
		SetCleanSession(false).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(10*time.Second).
		SetConnectTimeout(5*time.Second).
		SetKeepAlive(15*time.Second).
		SetOrderMatters(false).
		// The broker publishes this for us when our connection dies without
		// a DISCONNECT (process killed, power, network): central then shows
		// our lines as no data instead of their last state.
		SetBinaryWill(wire.StatusTopic(cfg.EdgeID), cfg.Liveness.status(cfg.EdgeID, wire.StatusOffline, time.Now()), 1, true).
		SetOnConnectHandler(func(c paho.Client) {
			m.log.Info("connected to broker", "broker", cfg.Broker)
			// Acks are what let events leave the outbox: without the
			// subscription the uplink is not usable, so keep trying.
			for c.IsConnectionOpen() {
				tok := c.Subscribe(wire.AckTopic(cfg.EdgeID), 1, m.onAck)
				if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
					m.connected.Store(true)
					m.publishStatus(wire.StatusOnline)
					return
				}
				m.log.Error("subscribe to ack topic failed, retrying", "err", tok.Error())
				time.Sleep(2 * time.Second)
			}
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			m.connected.Store(false)
			m.Reconnects.Add(1)
			m.log.Warn("lost broker connection", "broker", cfg.Broker, "err", err)
		})
	m.client = paho.NewClient(opts)
	m.client.Connect() // with ConnectRetry the token completes only once connected
	if hb := cfg.Liveness.Heartbeat; hb > 0 {
		go m.heartbeat(hb)
	}
	return m
}

// publishStatus publishes our retained status without waiting for the
// broker: a lost one is followed by the next heartbeat.
func (m *MQTT) publishStatus(st string) paho.Token {
	return m.client.Publish(wire.StatusTopic(m.cfg.EdgeID), 1, true, m.cfg.Liveness.status(m.cfg.EdgeID, st, time.Now()))
}

// heartbeat re-publishes "online" every interval, so central can tell a
// half-open connection (the broker still thinks we are there) from a live one.
func (m *MQTT) heartbeat(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			if m.Connected() {
				m.client.Publish(wire.StatusTopic(m.cfg.EdgeID), 1, true, m.cfg.Liveness.heartbeat(m.cfg.EdgeID, time.Now()))
			}
		}
	}
}

func (m *MQTT) onAck(_ paho.Client, msg paho.Message) {
	var a wire.Ack
	if err := json.Unmarshal(msg.Payload(), &a); err != nil || a.EdgeID != m.cfg.EdgeID || a.From == 0 || a.To < a.From {
		m.log.Warn("ignoring malformed ack", "payload", truncate(msg.Payload()), "err", err)
		return
	}
	select {
	case m.acks <- a:
	default:
		// The sender is far behind; an ack dropped here only means a
		// resend later, which central deduplicates.
		m.log.Warn("ack queue full, dropping ack", "from", a.From, "to", a.To)
	}
}

// Publish sends one batch with QoS 1 and waits for the broker's PUBACK.
func (m *MQTT) Publish(ctx context.Context, b wire.EncodedBatch) error {
	if !m.connected.Load() || !m.client.IsConnectionOpen() {
		return ErrNotConnected
	}
	// paho keeps the payload until the broker's PUBACK, also after ctx
	// ends: the sender never reuses it.
	tok := m.client.Publish(wire.EventsTopic(m.cfg.EdgeID), 1, false, b.Payload)
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Acks delivers acknowledgements as they arrive.
func (m *MQTT) Acks() <-chan wire.Ack { return m.acks }

// Connected reports whether the broker connection and ack subscription are up.
func (m *MQTT) Connected() bool { return m.connected.Load() && m.client.IsConnectionOpen() }

// Reconnect drops the connection (a half-open one, or one whose session a
// client with our id took over) and connects again: a new connection with
// our client id takes the session back.
func (m *MQTT) Reconnect() {
	select {
	case <-m.stop:
		return
	default:
	}
	if !m.reconnecting.CompareAndSwap(false, true) {
		return
	}
	m.connected.Store(false)
	m.Reconnects.Add(1)
	go func() {
		defer m.reconnecting.Store(false)
		// paho's Disconnect may return before it is done, and Connect on a
		// client still disconnecting does nothing: wait until it is down.
		m.client.Disconnect(100)
		for i := 0; i < 100 && m.client.IsConnected(); i++ {
			select {
			case <-m.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		select {
		case <-m.stop:
			return
		default:
		}
		m.client.Connect() // with ConnectRetry it keeps trying in the background
	}()
}

// Close says "offline" (a clean disconnect sends no will) and disconnects,
// giving in-flight packets a moment.
func (m *MQTT) Close() {
	m.stopOnce.Do(func() { close(m.stop) })
	if m.Connected() {
		m.publishStatus(wire.StatusOffline).WaitTimeout(time.Second)
	}
	m.connected.Store(false)
	m.client.Disconnect(250)
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
