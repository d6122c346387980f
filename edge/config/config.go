// Package config is the edge agent's configuration: what devices it reads, what
// each signal means for the line, and where it sends events. Loading never
// touches the network; every problem is reported at once with file, line and key.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/linewise/linewise/devices/configerr"
	"github.com/linewise/linewise/devices/drivers"
	"github.com/linewise/linewise/edge/telemetry"
	"github.com/linewise/linewise/edge/wire"
	"gopkg.in/yaml.v3"
)

// Config is the whole agent configuration.
type Config struct {
	EdgeID   string      `yaml:"edge_id"`
	Line     string      `yaml:"line"`
	DataDir  string      `yaml:"data_dir"`
	HTTP     string      `yaml:"http"` // health endpoint; "" disables it
	Central  Central     `yaml:"central"`
	Devices  []yaml.Node `yaml:"devices"`
	Counters []Counter   `yaml:"counters"`
	State    *State      `yaml:"state"`
	Scans    []Scan      `yaml:"scans"`
	QC       []QC        `yaml:"qc"`
	Outbox   Outbox      `yaml:"outbox"`
	// Telemetry, optional: raw readings and line rates to InfluxDB.
	Telemetry Telemetry `yaml:"telemetry"`
	// IdealCycle is the line's ideal (fastest) cycle per part, as on the
	// machine's nameplate or in OEE. It bounds how many parts the line can
	// have made between two counter reads (RateSlack / IdealCycle per
	// second), which tells a counter's wrap from a reset or a second wrap.
	// counters[].max_rate overrides it per counter.
	IdealCycle time.Duration `yaml:"ideal_cycle"`
	// ClockTolerance is how far a device's clock may be from the edge's
	// before the edge stamps that device's events with its own receive
	// time (keeping the device's in the event) and central shows the skew.
	ClockTolerance time.Duration `yaml:"clock_tolerance"`
}

// RateSlack is how much faster than its ideal cycle a line is believed able
// to run: an ideal cycle is rounded, machines are tuned, reads jitter.
const RateSlack = 1.25

// DefaultClockTolerance is larger than a poll interval plus network delay
// (a polled value may be up to one interval old when read) and far smaller
// than the minutes by which a work order starts or ends.
const DefaultClockTolerance = 5 * time.Second

// Telemetry configures the optional time-series side channel.
type Telemetry struct {
	InfluxDB *telemetry.Config `yaml:"influxdb"`
}

// Central says how events reach central.
type Central struct {
	// Transport is mqtt (default: QoS 1 batches, acks on the ack topic) or
	// https (POST /api/v1/ingest, the ack in the response).
	Transport  string        `yaml:"transport"`
	MQTT       MQTT          `yaml:"mqtt"`
	HTTPS      HTTPS         `yaml:"https"`
	BatchSize  int           `yaml:"batch_size"`  // events per published batch
	AckTimeout time.Duration `yaml:"ack_timeout"` // resend a batch not acknowledged within this
	// Heartbeat is how often the edge tells central it is alive (a retained
	// "online" status over MQTT, a POST over HTTPS); central shows this
	// edge's lines as no data when it falls silent.
	Heartbeat time.Duration `yaml:"heartbeat"`
	// StallAfter is how many ack timeouts in a row, with the link up and
	// events waiting, make the link count as stalled (reconnect, degraded
	// health); 0 turns it off.
	StallAfter int `yaml:"stall_after"`
	// FallbackHold: with transport mqtt and https.url and token set, HTTPS
	// carries the batches while MQTT is down and for this long after a stall.
	FallbackHold time.Duration `yaml:"fallback_hold"`
}

// HTTPSFallback reports whether HTTPS ingest stands in for MQTT.
func (c Central) HTTPSFallback() bool {
	return c.Transport == "mqtt" && c.HTTPS.URL != ""
}

// MQTT is the broker connection for events and acks.
type MQTT struct {
	Broker   string `yaml:"broker"`
	ClientID string `yaml:"client_id"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// HTTPS is central's ingest endpoint for the https transport.
type HTTPS struct {
	URL                string `yaml:"url"`   // central's base URL
	Token              string `yaml:"token"` // this edge's token (central's edges[].token)
	CAFile             string `yaml:"ca_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Counter maps a signal to good or reject parts.
type Counter struct {
	Signal string `yaml:"signal"`
	Kind   string `yaml:"kind"` // good | reject
	// Mode cumulative: the value is a running PLC counter (wraps at Bits,
	// resets on power cycle). Mode pulse: each reading's value is a number of
	// parts made since the previous one. Mode per_part: every reading is one
	// part (a message per part, whatever it carries).
	Mode string `yaml:"mode"`
	Bits int    `yaml:"bits"` // 16, 32 or 64, for cumulative
	// FirstRead says what the very first value ever read means: "baseline"
	// (default: the counter's history is not ours, count from here) or
	// "count" (the counter started at zero with this agent: count it all).
	FirstRead string `yaml:"first_read"`
	// MaxDelta is the largest believable increase between two reads; a drop
	// whose wrap-around increase would exceed it is a reset. 0 = half the range.
	MaxDelta uint64 `yaml:"max_delta"`
	// MaxRate is the fastest the machine makes parts on this counter, per
	// second, margin included (0: RateSlack / ideal_cycle of the line, or
	// of state.infer). With it, a drop is judged a wrap or a reset by the
	// time since the previous reading (see edge/README.md).
	MaxRate float64 `yaml:"max_rate"`
	// RestartSignal, optional, is a signal of the same device that changes
	// when the device restarts and only then (a boot counter, the OPC UA
	// server's StartTime): evidence of a reset that time cannot give.
	RestartSignal string `yaml:"restart_signal"`
	// WrapsSignal, optional, is the counter's overflow count on the same
	// device (a second counter the PLC steps each time this one rolls over,
	// read in the same request): it tells how many times the counter
	// wrapped however long the edge was away, and a restart that clears it.
	WrapsSignal string `yaml:"wraps_signal"`

	// Rate is the rate the edge uses: MaxRate, or derived (0: none known).
	Rate float64 `yaml:"-"`
}

// State maps a PLC enum (and optionally a fault code) to machine states.
type State struct {
	Signal       string            `yaml:"signal"`
	Map          map[string]string `yaml:"map"`           // raw value → running|idle|down|setup|planned_stop
	Default      string            `yaml:"default"`       // state for unmapped values; "" → down with reason "unmapped <raw>"
	ReasonSignal string            `yaml:"reason_signal"` // optional fault-code signal
	Reasons      map[string]string `yaml:"reasons"`       // fault code → reason text
	// Infer, for machines without a state signal, derives the state from
	// the counts: running while parts come, a short stop after no part for
	// short_stop_after ideal cycles, down after down_after.
	Infer *Infer `yaml:"infer"`
}

// Infer configures state inference from counts.
type Infer struct {
	IdealCycle     time.Duration `yaml:"ideal_cycle"`
	ShortStopAfter float64       `yaml:"short_stop_after"` // ideal cycles without a part; default 3
	DownAfter      float64       `yaml:"down_after"`       // ideal cycles without a part; default 20
	// PlannedSignal, optional, is a signal (a PLC "break" or "no shift"
	// bit) whose true or non-zero value means a planned stop: the line is
	// planned_stop and no part is expected.
	PlannedSignal string `yaml:"planned_signal"`
}

// Scan maps a barcode scanner's signal to scan events at a station: each
// code read is one event, which central applies like a scan at the
// station's page.
type Scan struct {
	Signal  string `yaml:"signal"`
	Station string `yaml:"station"` // central's station id
	// Action forces what every scan of this scanner means (start, pause,
	// resume, complete; lot: a line-side feeder's scanner, each code a
	// component lot loaded for the running work order; serial: each code a
	// part's serial); empty lets central decide by the code.
	Action string `yaml:"action"`
}

// QC maps a QC station's signal (devices/qc results) to quality events.
type QC struct {
	Signal  string `yaml:"signal"`
	Station string `yaml:"station"` // optional: central's station id
}

// Outbox bounds the durable queue of events not yet committed by central.
type Outbox struct {
	MaxEvents int `yaml:"max_events"`
	// WarnAt is the fill ratio at which the agent warns loudly.
	WarnAt float64 `yaml:"warn_at"`
}

// Default returns a Config with every default filled in.
func Default() Config {
	return Config{
		DataDir:        "data/edge",
		HTTP:           "127.0.0.1:8491",
		ClockTolerance: DefaultClockTolerance,
		Central:        Central{BatchSize: 500, AckTimeout: 5 * time.Second, Heartbeat: 10 * time.Second, StallAfter: 3, FallbackHold: time.Minute},
		Outbox:         Outbox{MaxEvents: 5_000_000, WarnAt: 0.8},
	}
}

// Loaded is a validated configuration with its devices opened (not connected).
type Loaded struct {
	Config
	Path    string
	Devices []drivers.Device
	// Warnings are what --check-config reports that does not stop the
	// agent: each "path:line: key: message", a risk to the counts or states.
	Warnings   []string
	signalsDev map[string]string
	polled     map[string]bool // signals read by polling (a reading per poll)
}

// DeviceOf names the device delivering signal.
func (l *Loaded) DeviceOf(signal string) string { return l.signalsDev[signal] }

// Load reads, decodes and validates the file at path. The error lists every
// problem as "path:line: key: message", one per line.
func Load(path string, log *slog.Logger) (*Loaded, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("edge config: %w", err)
	}
	return Parse(path, b, log)
}

// Parse is Load on bytes already read; path only labels errors.
func Parse(path string, b []byte, log *slog.Logger) (*Loaded, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: empty configuration", path)
	}
	cfg := Default()
	l := &Loaded{Path: path, signalsDev: map[string]string{}, polled: map[string]bool{}}
	errs := []error{configerr.DecodeStrict(&root, &cfg)}
	if log == nil {
		log = slog.Default()
	}
	// Devices decode themselves (each driver knows its keys); collect their
	// signal names for the cross-checks below.
	for i := range cfg.Devices {
		n := &cfg.Devices[i]
		name, driver := scalar(n, "name"), scalar(n, "driver")
		p := fmt.Sprintf("devices[%d]", i)
		if err := wire.ValidID(name); err != nil {
			errs = append(errs, configerr.Field(p+".name", "%v", err))
			continue
		}
		if driver == "" {
			errs = append(errs, configerr.Field(p+".driver", "missing (one of %s)", strings.Join(drivers.Names(), ", ")))
			continue
		}
		d, err := drivers.Open(driver, name, n, log) // drivers tag their logger with the device
		if err != nil {
			errs = append(errs, configerr.Prefix(p, err))
			continue
		}
		for _, s := range d.Signals {
			if other, dup := l.signalsDev[s]; dup {
				errs = append(errs, configerr.Field(p, "signal %q is also delivered by device %q", s, other))
			}
			l.signalsDev[s] = name
			if d.Poller != nil {
				l.polled[s] = true
			}
		}
		l.Devices = append(l.Devices, d)
	}
	errs = append(errs, cfg.validate(l.signalsDev, l.polled))
	l.Config = cfg
	for _, e := range configerr.Locate(&root, errors.Join(l.warnings()...)) {
		l.Warnings = append(l.Warnings, path+":"+strings.TrimPrefix(e.Error(), "line "))
	}
	var out []string
	for _, e := range configerr.Locate(&root, errors.Join(errs...)) {
		out = append(out, path+":"+strings.TrimPrefix(e.Error(), "line "))
	}
	if len(out) > 0 {
		return nil, errors.New(strings.Join(out, "\n"))
	}
	return l, nil
}

func scalar(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}

var machineStates = []string{wire.StateRunning, wire.StateIdle, wire.StateDown, wire.StateSetup, wire.StatePlannedStop}

func (c *Config) validate(signals map[string]string, polled map[string]bool) error {
	var errs []error
	f := func(path, format string, args ...any) { errs = append(errs, configerr.Field(path, format, args...)) }
	if err := wire.ValidID(c.EdgeID); err != nil {
		f("edge_id", "%v", err)
	}
	if err := wire.ValidID(c.Line); err != nil {
		f("line", "%v", err)
	}
	if c.DataDir == "" {
		f("data_dir", "missing")
	}
	if c.HTTP != "" {
		if _, _, err := net.SplitHostPort(c.HTTP); err != nil {
			f("http", "not host:port: %v", err)
		}
	}
	switch c.Central.Transport {
	case "", "mqtt":
		c.Central.Transport = "mqtt"
		if u, err := url.Parse(c.Central.MQTT.Broker); c.Central.MQTT.Broker == "" {
			f("central.mqtt.broker", "missing (for example tcp://127.0.0.1:1883)")
		} else if err != nil || (u.Scheme != "tcp" && u.Scheme != "ssl" && u.Scheme != "tls" && u.Scheme != "mqtt" && u.Scheme != "mqtts") || u.Host == "" {
			f("central.mqtt.broker", "%q is not a broker URL like tcp://host:port", c.Central.MQTT.Broker)
		}
		if c.Central.HTTPS.URL == "" {
			break
		}
		// https.url with transport mqtt: HTTPS is the fallback.
		fallthrough
	case "https":
		if u, err := url.Parse(c.Central.HTTPS.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			f("central.https.url", "%q is not a URL like https://central.plant:8443", c.Central.HTTPS.URL)
		}
		if len(c.Central.HTTPS.Token) < 16 {
			f("central.https.token", "missing or shorter than 16 characters")
		}
	default:
		f("central.transport", "%q is not mqtt or https", c.Central.Transport)
	}
	if c.Central.BatchSize < 1 || c.Central.BatchSize > 10_000 {
		f("central.batch_size", "%d is outside 1..10000", c.Central.BatchSize)
	}
	if c.Central.AckTimeout < 100*time.Millisecond {
		f("central.ack_timeout", "%s is below 100ms", c.Central.AckTimeout)
	}
	if c.Central.Heartbeat < 100*time.Millisecond {
		f("central.heartbeat", "%s is below 100ms", c.Central.Heartbeat)
	}
	if c.Central.StallAfter < 0 || c.Central.StallAfter > 100 {
		f("central.stall_after", "%d is outside 0..100 (ack timeouts; 0 turns it off)", c.Central.StallAfter)
	}
	if c.Central.FallbackHold < time.Second {
		f("central.fallback_hold", "%s is below 1s", c.Central.FallbackHold)
	}
	if c.IdealCycle < 0 {
		f("ideal_cycle", "%s is negative", c.IdealCycle)
	}
	if c.ClockTolerance < 100*time.Millisecond {
		f("clock_tolerance", "%s is below 100ms", c.ClockTolerance)
	}
	if c.Outbox.MaxEvents < 1000 {
		f("outbox.max_events", "%d is below 1000", c.Outbox.MaxEvents)
	}
	if c.Outbox.WarnAt <= 0 || c.Outbox.WarnAt > 1 {
		f("outbox.warn_at", "%v is outside (0, 1]", c.Outbox.WarnAt)
	}
	if len(c.Devices) == 0 {
		f("devices", "no devices configured")
	}
	known := func(path, s string) {
		if s == "" {
			f(path, "missing")
		} else if _, ok := signals[s]; !ok && len(signals) > 0 {
			f(path, "no device delivers signal %q", s)
		}
	}
	seen := map[string]bool{}
	for i := range c.Counters {
		k := &c.Counters[i]
		p := fmt.Sprintf("counters[%d]", i)
		known(p+".signal", k.Signal)
		if seen[k.Signal] {
			f(p+".signal", "signal %q is mapped twice", k.Signal)
		}
		seen[k.Signal] = true
		if k.Kind != "good" && k.Kind != "reject" {
			f(p+".kind", "%q is not good or reject", k.Kind)
		}
		if k.Mode == "" {
			k.Mode = "cumulative"
		}
		if k.Mode != "cumulative" && k.Mode != "pulse" && k.Mode != "per_part" {
			f(p+".mode", "%q is not cumulative, pulse or per_part", k.Mode)
		}
		if k.Mode == "per_part" && polled[k.Signal] {
			f(p+".mode", "per_part counts every reading, but device %q polls %q (a reading per poll, not per part): use a device that pushes a message per part", signals[k.Signal], k.Signal)
		}
		if k.Bits == 0 {
			k.Bits = 32
		}
		if k.Bits != 16 && k.Bits != 32 && k.Bits != 64 {
			f(p+".bits", "%d is not 16, 32 or 64", k.Bits)
		}
		if k.MaxRate < 0 {
			f(p+".max_rate", "%v is negative", k.MaxRate)
		}
		if k.RestartSignal != "" {
			known(p+".restart_signal", k.RestartSignal)
			if k.Mode != "cumulative" {
				f(p+".restart_signal", "only a cumulative counter resets")
			} else if d := signals[k.RestartSignal]; d != "" && signals[k.Signal] != "" && d != signals[k.Signal] {
				f(p+".restart_signal", "%q comes from device %q, the counter from %q: the restart signal must be the counter's device", k.RestartSignal, d, signals[k.Signal])
			}
		}
		if k.WrapsSignal != "" {
			known(p+".wraps_signal", k.WrapsSignal)
			if k.Mode != "cumulative" || k.Bits >= 64 {
				f(p+".wraps_signal", "only a cumulative 16- or 32-bit counter wraps")
			} else if d := signals[k.WrapsSignal]; d != "" && signals[k.Signal] != "" && d != signals[k.Signal] {
				f(p+".wraps_signal", "%q comes from device %q, the counter from %q: the overflow count must be read with the counter", k.WrapsSignal, d, signals[k.Signal])
			}
		}
		if k.FirstRead == "" {
			k.FirstRead = "baseline"
		}
		if k.FirstRead != "baseline" && k.FirstRead != "count" {
			f(p+".first_read", "%q is not baseline or count", k.FirstRead)
		}
	}
	if s := c.State; s != nil && s.Infer != nil {
		if s.Signal != "" || len(s.Map) > 0 {
			f("state.infer", "infer is for machines without a state signal: remove state.signal and state.map, or infer")
		}
		if s.Infer.IdealCycle <= 0 {
			f("state.infer.ideal_cycle", "missing or not positive")
		}
		if s.Infer.ShortStopAfter == 0 {
			s.Infer.ShortStopAfter = 3
		}
		if s.Infer.DownAfter == 0 {
			s.Infer.DownAfter = 20
		}
		if s.Infer.ShortStopAfter < 1 || s.Infer.DownAfter <= s.Infer.ShortStopAfter {
			f("state.infer", "want 1 <= short_stop_after < down_after, got %v and %v", s.Infer.ShortStopAfter, s.Infer.DownAfter)
		}
		if len(c.Counters) == 0 {
			f("state.infer", "inference needs counters to watch")
		}
		if s.Infer.PlannedSignal != "" {
			known("state.infer.planned_signal", s.Infer.PlannedSignal)
		}
	} else if s != nil {
		known("state.signal", s.Signal)
		if len(s.Map) == 0 {
			f("state.map", "missing: map each PLC value to one of %s", strings.Join(machineStates, ", "))
		}
		for raw, st := range s.Map {
			if !isMachineState(st) {
				f("state.map."+raw, "%q is not one of %s", st, strings.Join(machineStates, ", "))
			}
		}
		if s.Default != "" && !isMachineState(s.Default) {
			f("state.default", "%q is not one of %s", s.Default, strings.Join(machineStates, ", "))
		}
		if s.ReasonSignal != "" {
			known("state.reason_signal", s.ReasonSignal)
		}
	}
	if t := c.Telemetry.InfluxDB; t != nil {
		t.Defaults()
		errs = append(errs, configerr.Prefix("telemetry.influxdb", t.Validate()))
	}
	for i := range c.Scans {
		m, p := &c.Scans[i], fmt.Sprintf("scans[%d]", i)
		known(p+".signal", m.Signal)
		if seen[m.Signal] {
			f(p+".signal", "signal %q is mapped twice", m.Signal)
		}
		seen[m.Signal] = true
		if err := wire.ValidID(m.Station); err != nil {
			f(p+".station", "%v", err)
		}
		switch m.Action {
		case "", "start", "pause", "resume", "complete", "lot", "serial":
		default:
			f(p+".action", "%q is not start, pause, resume or complete, lot or serial (or empty: central decides)", m.Action)
		}
	}
	for i := range c.QC {
		m, p := &c.QC[i], fmt.Sprintf("qc[%d]", i)
		known(p+".signal", m.Signal)
		if seen[m.Signal] {
			f(p+".signal", "signal %q is mapped twice", m.Signal)
		}
		seen[m.Signal] = true
		if m.Station != "" {
			if err := wire.ValidID(m.Station); err != nil {
				f(p+".station", "%v", err)
			}
		}
	}
	if len(c.Counters) == 0 && c.State == nil && len(c.Scans) == 0 && len(c.QC) == 0 {
		f("counters", "nothing mapped: configure counters, state, scans and/or qc")
	}
	return errors.Join(errs...)
}

func isMachineState(s string) bool {
	for _, m := range machineStates {
		if s == m {
			return true
		}
	}
	return false
}

// RawKey renders a reading value the way state.map and state.reasons keys are written.
func RawKey(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}
