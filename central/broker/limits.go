package broker

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/linewise/linewise/devices/configerr"
	"github.com/linewise/linewise/edge/wire"
)

// Limits bound what clients can make the broker hold in memory. They are
// the mqtt.embedded keys of central's configuration.
type Limits struct {
	// MaxPacketBytes is the largest MQTT packet a client may send; a larger
	// one disconnects the client. It must fit an edge's largest batch.
	MaxPacketBytes int `yaml:"max_packet_bytes"`
	// MaxInflight is how many QoS 1/2 messages the broker keeps per client
	// session (sent and awaiting the client's ack, or queued while it is
	// away); beyond it new ones are dropped for that client. Edges resend
	// what central did not acknowledge, so nothing is lost.
	MaxInflight int `yaml:"max_inflight"`
	// MaxRetained is how many topics may hold a retained message; a new
	// retained topic beyond it is delivered but not retained.
	MaxRetained int `yaml:"max_retained"`
	// MaxRetainedBytes is the largest payload kept as a retained message; a
	// larger one is delivered but not retained.
	MaxRetainedBytes int `yaml:"max_retained_bytes"`
}

// DefaultLimits fit an edge's largest batch (wire.MaxBatchBytes) with
// room for the topic, and keep retained messages (edge statuses, the
// simulator's tags) to a few tens of MiB at most.
func DefaultLimits() Limits {
	return Limits{MaxPacketBytes: wire.MaxBatchBytes + 64<<10, MaxInflight: 1024, MaxRetained: 5000, MaxRetainedBytes: 16 << 10}
}

// Validate names every bad key under prefix (e.g. "mqtt.embedded").
func (l Limits) Validate(prefix string) error {
	var errs []error
	if l.MaxPacketBytes < wire.MaxBatchBytes+1024 || l.MaxPacketBytes > 256<<20 {
		errs = append(errs, configerr.Field(prefix+".max_packet_bytes", "%d is outside %d..%d: it must fit an edge's largest batch (%d bytes) and its topic",
			l.MaxPacketBytes, wire.MaxBatchBytes+1024, 256<<20, wire.MaxBatchBytes))
	}
	if l.MaxInflight < 16 || l.MaxInflight > 65535 {
		errs = append(errs, configerr.Field(prefix+".max_inflight", "%d is outside 16..65535", l.MaxInflight))
	}
	if l.MaxRetained < 0 {
		errs = append(errs, configerr.Field(prefix+".max_retained", "must not be negative (0: nothing is retained)"))
	}
	if l.MaxRetainedBytes < 1024 || l.MaxRetainedBytes > l.MaxPacketBytes {
		errs = append(errs, configerr.Field(prefix+".max_retained_bytes", "%d is outside 1024..max_packet_bytes (%d): edge statuses are retained", l.MaxRetainedBytes, l.MaxPacketBytes))
	}
	return errors.Join(errs...)
}

func (l Limits) apply(c *mqtt.Capabilities) {
	c.MaximumPacketSize = uint32(l.MaxPacketBytes)
	c.MaximumInflight = uint16(l.MaxInflight)
	c.ReceiveMaximum = uint16(min(l.MaxInflight, 1024))
}

// limitsHook keeps retained messages within Limits: a retained publish
// over them is delivered as an ordinary message and not kept.
type limitsHook struct {
	mqtt.HookBase
	limits  Limits
	server  *mqtt.Server
	log     *slog.Logger
	refused atomic.Int64
}

func (h *limitsHook) ID() string { return "linewise-limits" }

func (h *limitsHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnPublish}, []byte{b})
}

// retained counts retained messages outside the broker's own $SYS topics;
// only near the limit does it need to look at each.
func (h *limitsHook) retained() int {
	all := h.server.Topics.Retained
	if all.Len() < h.limits.MaxRetained {
		return all.Len()
	}
	n := 0
	for topic := range all.GetAll() {
		if !strings.HasPrefix(topic, "$") {
			n++
		}
	}
	return n
}

func (h *limitsHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if !pk.FixedHeader.Retain || len(pk.Payload) == 0 { // an empty one clears a retained message
		return pk, nil
	}
	var why string
	_, replaces := h.server.Topics.Retained.Get(pk.TopicName)
	switch {
	case len(pk.Payload) > h.limits.MaxRetainedBytes:
		why = fmt.Sprintf("payload of %d bytes is over max_retained_bytes (%d)", len(pk.Payload), h.limits.MaxRetainedBytes)
	case !replaces && h.retained() >= h.limits.MaxRetained:
		why = fmt.Sprintf("max_retained (%d) topics already hold a retained message", h.limits.MaxRetained)
	default:
		return pk, nil
	}
	if h.refused.Add(1) == 1 || h.refused.Load()%1000 == 0 {
		h.log.Warn("not retaining a message; delivered without retain", "topic", pk.TopicName, "client_id", cl.ID,
			"reason", why, "refused_so_far", h.refused.Load())
	}
	pk.FixedHeader.Retain = false
	return pk, nil
}
