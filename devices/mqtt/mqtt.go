// Package mqtt is the MQTT driver ("mqtt"): it subscribes to topics and turns
// each message into a Reading (plain numbers, text, or a field of a JSON
// object). It is a push driver; paho reconnects and the driver resubscribes
// on every connect. A payload it cannot parse becomes a Bad reading and a log
// line: nothing a device publishes may crash it.
package mqtt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/configerr"
	"gopkg.in/yaml.v3"
)

// Config is an MQTT device's whole configuration.
type Config struct {
	Broker   string   `yaml:"broker"` // tcp://host:port
	ClientID string   `yaml:"client_id"`
	Username string   `yaml:"username"`
	Password string   `yaml:"password"`
	QoS      int      `yaml:"qos"`
	Signals  []Signal `yaml:"signals"`
}

// Signal is one topic filter and how to read its payload, or (payload:
// sparkplug) one Sparkplug B metric of an edge node or one of its devices.
type Signal struct {
	Name    string `yaml:"name"`
	Topic   string `yaml:"topic"`   // wildcards + and # allowed
	Payload string `yaml:"payload"` // number (default) | json | text | sparkplug
	Field   string `yaml:"field"`   // for json: "state" or "a.b"

	// Sparkplug B: the topic is spBv1.0/<group>/<type>/<edge_node>[/<device>].
	Group    string `yaml:"group"`
	EdgeNode string `yaml:"edge_node"`
	Device   string `yaml:"device"` // empty: a metric of the edge node itself
	Metric   string `yaml:"metric"` // metric name as in the BIRTH
}

// NewConfig returns the defaults: QoS 1.
func NewConfig() Config { return Config{QoS: 1} }

// DecodeConfig reads a device's YAML node (which also carries name and
// driver) over the defaults, fills per-signal defaults and validates.
func DecodeConfig(node *yaml.Node) (Config, error) {
	cfg := NewConfig()
	err := configerr.DecodeStrict(node, &cfg, "name", "driver", "poll_interval")
	cfg.defaults()
	return cfg, errors.Join(err, cfg.Validate())
}

func (c *Config) defaults() {
	for i := range c.Signals {
		if c.Signals[i].Payload == "" {
			c.Signals[i].Payload = "number"
		}
	}
}

// SignalNames lists the configured signal names in order.
func (c Config) SignalNames() []string {
	out := make([]string, len(c.Signals))
	for i, s := range c.Signals {
		out[i] = s.Name
	}
	return out
}

// Validate reports every problem at once, with paths relative to the device.
func (c Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.Broker); c.Broker == "" || err != nil || u.Host == "" ||
		(u.Scheme != "tcp" && u.Scheme != "mqtt" && u.Scheme != "ssl" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss") {
		errs = append(errs, configerr.Field("broker", "want tcp://host:port, got %q", c.Broker))
	}
	if c.QoS < 0 || c.QoS > 2 {
		errs = append(errs, configerr.Field("qos", "must be 0, 1 or 2, got %d", c.QoS))
	}
	if len(c.Signals) == 0 {
		errs = append(errs, configerr.Field("signals", "at least one signal required"))
	}
	seen := map[string]bool{}
	for i, s := range c.Signals {
		p := fmt.Sprintf("signals[%d].", i)
		if s.Name == "" {
			errs = append(errs, configerr.Field(p+"name", "required"))
		} else if seen[s.Name] {
			errs = append(errs, configerr.Field(p+"name", "duplicate signal name %q", s.Name))
		}
		seen[s.Name] = true
		if s.Payload == "sparkplug" {
			errs = append(errs, s.validateSparkplug(p)...)
			continue
		}
		if err := validFilter(s.Topic); err != nil {
			errs = append(errs, configerr.Field(p+"topic", "%v", err))
		}
		for k, v := range map[string]string{"group": s.Group, "edge_node": s.EdgeNode, "device": s.Device, "metric": s.Metric} {
			if v != "" {
				errs = append(errs, configerr.Field(p+k, "only applies to payload: sparkplug"))
			}
		}
		switch s.Payload {
		case "number", "text", "":
			if s.Field != "" {
				errs = append(errs, configerr.Field(p+"field", "only applies to payload: json"))
			}
		case "json":
		default:
			errs = append(errs, configerr.Field(p+"payload", "must be number, json, text or sparkplug, got %q", s.Payload))
		}
	}
	return errors.Join(errs...)
}

func validFilter(f string) error {
	if f == "" {
		return errors.New("required")
	}
	parts := strings.Split(f, "/")
	for i, p := range parts {
		if p == "#" && i != len(parts)-1 {
			return fmt.Errorf("%q: '#' must be the last level", f)
		}
		if p != "#" && p != "+" && strings.ContainsAny(p, "#+") {
			return fmt.Errorf("%q: wildcards must fill a whole level", f)
		}
	}
	return nil
}

// match reports whether topic matches the subscription filter.
func match(filter, topic string) bool {
	fs, ts := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, f := range fs {
		if f == "#" {
			return true
		}
		if i >= len(ts) {
			return false
		}
		if f != "+" && f != ts[i] {
			return false
		}
	}
	return len(fs) == len(ts)
}

// Driver is a push driver for one MQTT device. It implements devices.Pusher.
type Driver struct {
	name string
	cfg  Config
	log  *slog.Logger

	mu        sync.Mutex // serialises sink calls and guards the fields below
	sink      devices.Sink
	client    paho.Client
	connected bool
	badSent   bool
	stop      chan struct{}
	sp        map[string]*spNode // Sparkplug edge nodes by group/edge_node
}

var _ devices.Pusher = (*Driver)(nil)

// New builds the driver; it does not dial.
func New(name string, cfg Config, log *slog.Logger) (*Driver, error) {
	cfg.defaults()
	if cfg.ClientID == "" {
		cfg.ClientID = "linewise-" + name
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	d := &Driver{name: name, cfg: cfg, log: log}
	d.spInit()
	return d, nil
}

// Start connects in the background (retrying until Stop) and subscribes on
// every connect.
func (d *Driver) Start(ctx context.Context, sink devices.Sink) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.client != nil {
		return fmt.Errorf("device %s: already started", d.name)
	}
	d.sink, d.stop = sink, make(chan struct{})
	o := paho.NewClientOptions().
		AddBroker(d.cfg.Broker).
		SetClientID(d.cfg.ClientID).
		SetUsername(d.cfg.Username).
		SetPassword(d.cfg.Password).
		SetCleanSession(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(10 * time.Second).
		SetConnectTimeout(5 * time.Second).
		SetWriteTimeout(5 * time.Second).
		SetOnConnectHandler(d.onConnect).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			d.log.Warn("mqtt connection lost", "device", d.name, "broker", d.cfg.Broker, "err", err)
			d.disconnected(fmt.Errorf("connection to %s lost: %w", d.cfg.Broker, err), false)
		})
	d.client = paho.NewClient(o)
	d.client.Connect() // retries in the background
	stop := d.stop
	go func() { // a broker that never answers still yields Bad readings, once
		select {
		case <-stop:
		case <-time.After(6 * time.Second):
			d.disconnected(fmt.Errorf("cannot connect to %s", d.cfg.Broker), true)
		}
	}()
	return nil
}

func (d *Driver) onConnect(c paho.Client) {
	d.mu.Lock()
	d.connected, d.badSent = true, false
	d.spReset() // what we knew of edge nodes may be stale after an outage
	d.mu.Unlock()
	d.log.Info("mqtt connected", "device", d.name, "broker", d.cfg.Broker)
	filters := map[string]byte{}
	for _, s := range d.cfg.Signals {
		filters[s.filter()] = byte(d.cfg.QoS)
	}
	tok := c.SubscribeMultiple(filters, d.onMessage)
	go func() {
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			d.log.Error("mqtt subscribe failed", "device", d.name, "err", tok.Error())
			return
		}
		// Subscribed: ask every Sparkplug edge node for its BIRTH, which
		// we need for aliases and a seq baseline.
		d.mu.Lock()
		defer d.mu.Unlock()
		for key := range d.sp {
			d.spRequestRebirth(key, "host connected")
		}
	}()
}

// disconnected delivers one Bad reading per signal, once per outage.
// firstTimeout is the "never connected yet" check, a no-op once connected.
func (d *Driver) disconnected(err error, firstTimeout bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if firstTimeout && d.connected {
		return
	}
	d.connected = false
	if d.badSent || d.sink == nil {
		return
	}
	d.badSent = true
	now := time.Now()
	for _, s := range d.cfg.Signals {
		d.sink(devices.Reading{Signal: s.Name, Quality: devices.Bad, SourceTime: now,
			Err: fmt.Errorf("device %s signal %s: %w", d.name, s.Name, err)})
	}
}

func (d *Driver) onMessage(_ paho.Client, m paho.Message) {
	defer func() { // belt and braces: a payload must never take the agent down
		if r := recover(); r != nil {
			d.log.Error("mqtt message handler panicked", "device", d.name, "topic", m.Topic(), "panic", r)
		}
	}()
	topic, payload := m.Topic(), m.Payload()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sink == nil {
		return
	}
	if strings.HasPrefix(topic, sparkplugPrefix) && len(d.sp) > 0 {
		d.spMessage(topic, payload)
	}
	for _, s := range d.cfg.Signals {
		if s.Payload == "sparkplug" || !match(s.Topic, topic) {
			continue
		}
		r := d.parse(s, topic, payload)
		if r.Err != nil {
			d.log.Warn("mqtt bad payload", "device", d.name, "signal", s.Name, "topic", topic, "err", r.Err)
		}
		d.sink(r)
	}
}

// parse turns one payload into a Reading for signal s.
func (d *Driver) parse(s Signal, topic string, payload []byte) devices.Reading {
	r := devices.Reading{Signal: s.Name, SourceTime: time.Now()}
	v, ts, err := ParsePayload(payload, s.Payload, s.Field)
	if !ts.IsZero() {
		r.SourceTime = ts
	}
	if err != nil {
		r.Quality = devices.Bad
		r.Err = fmt.Errorf("device %s signal %s topic %s: %w", d.name, s.Name, topic, err)
		return r
	}
	r.Value, r.Quality = v, devices.Good
	return r
}

// ParsePayload decodes a payload of kind number, text or json (taking field,
// a dotted path, from a JSON object). It also returns the time in a JSON
// object's "ts" field (RFC 3339) when there is one.
func ParsePayload(p []byte, kind, field string) (any, time.Time, error) {
	const maxShow = 40
	show := func() string {
		s := string(p)
		if len(s) > maxShow {
			s = s[:maxShow] + "..."
		}
		return strconv.Quote(s)
	}
	switch kind {
	case "text":
		if !utf8.Valid(p) {
			return nil, time.Time{}, fmt.Errorf("payload is not UTF-8 text")
		}
		return string(p), time.Time{}, nil
	case "json":
		dec := json.NewDecoder(bytes.NewReader(p))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			return nil, time.Time{}, fmt.Errorf("payload %s is not JSON: %v", show(), err)
		}
		var ts time.Time
		if obj, ok := doc.(map[string]any); ok {
			if s, ok := obj["ts"].(string); ok {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					ts = t
				}
			}
		}
		v := doc
		if field != "" {
			for _, k := range strings.Split(field, ".") {
				obj, ok := v.(map[string]any)
				if !ok {
					return nil, ts, fmt.Errorf("payload %s: field %q: not an object at %q", show(), field, k)
				}
				if v, ok = obj[k]; !ok {
					return nil, ts, fmt.Errorf("payload %s: field %q missing", show(), field)
				}
			}
		}
		switch x := v.(type) {
		case json.Number:
			n, err := number(string(x))
			return n, ts, err
		case bool, string:
			return x, ts, nil
		case nil:
			return nil, ts, fmt.Errorf("payload %s: field %q is null", show(), field)
		}
		return nil, ts, fmt.Errorf("payload %s: field %q is %T, not a scalar", show(), field, v)
	default: // number
		n, err := number(strings.TrimSpace(string(p)))
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("payload %s is not a number", show())
		}
		return n, time.Time{}, nil
	}
}

func number(s string) (any, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return u, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	return f, nil
}

// Stop disconnects, bounded by ctx.
func (d *Driver) Stop(ctx context.Context) error {
	d.mu.Lock()
	c, stop := d.client, d.stop
	d.sink = nil
	if c == nil || stop == nil {
		d.mu.Unlock()
		return nil
	}
	close(stop)
	d.stop = nil
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		c.Disconnect(250)
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("device %s: stop: %w", d.name, ctx.Err())
	}
}
