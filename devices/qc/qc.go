// Package qc is the driver for quality-control stations that publish each
// measurement result as JSON over MQTT ("qc-mqtt"). It rides on the mqtt
// driver (connection, reconnects, resubscribe) and turns every message into
// one Reading whose Value is the result as normalised JSON text (see
// Result), so the devices.Reading contract stays scalar.
//
// A result that does not parse or lacks what the edge needs (a unit or lot,
// a characteristic, a numeric value) becomes a Bad reading naming the
// problem: a QC station must never be able to crash the agent or slip a
// half-result through as Good.
package qc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/configerr"
	"github.com/linewise/linewise/devices/mqtt"
	"gopkg.in/yaml.v3"
)

// Config is a QC station's whole configuration: an MQTT connection and the
// topics its results arrive on.
type Config struct {
	Broker   string   `yaml:"broker"` // tcp://host:port
	ClientID string   `yaml:"client_id"`
	Username string   `yaml:"username"`
	Password string   `yaml:"password"`
	QoS      int      `yaml:"qos"`
	Signals  []Signal `yaml:"signals"`
}

// Signal is one topic filter of results.
type Signal struct {
	Name  string `yaml:"name"`
	Topic string `yaml:"topic"` // wildcards + and # allowed
}

// NewConfig returns the defaults: QoS 1 (a result must not be lost).
func NewConfig() Config { return Config{QoS: 1} }

// DecodeConfig reads a device's YAML node (which also carries name and
// driver) over the defaults and validates it.
func DecodeConfig(node *yaml.Node) (Config, error) {
	cfg := NewConfig()
	err := configerr.DecodeStrict(node, &cfg, "name", "driver", "poll_interval")
	return cfg, errors.Join(err, cfg.Validate())
}

// SignalNames lists the configured signal names in order.
func (c Config) SignalNames() []string {
	out := make([]string, len(c.Signals))
	for i, s := range c.Signals {
		out[i] = s.Name
	}
	return out
}

func (c Config) mqtt() mqtt.Config {
	m := mqtt.Config{Broker: c.Broker, ClientID: c.ClientID, Username: c.Username, Password: c.Password, QoS: c.QoS}
	for _, s := range c.Signals {
		m.Signals = append(m.Signals, mqtt.Signal{Name: s.Name, Topic: s.Topic, Payload: "text"})
	}
	return m
}

// Validate reports every problem at once; the checks are the mqtt driver's.
func (c Config) Validate() error { return c.mqtt().Validate() }

// Result is one QC measurement. Its JSON (from JSON) is the Reading's Value:
//
//	{"unit":"SN-1","lot":"L-7","characteristic":"bore_mm","value":12.01,
//	 "lower":11.95,"upper":12.05,"pass":true,"ts":"2026-01-02T03:04:05Z"}
//
// unit and lot: at least one; lower, upper: optional; pass: as sent, else
// lower <= value <= upper over the limits given (true with none); ts: RFC 3339.
type Result struct {
	Unit           string   `json:"unit"`
	Lot            string   `json:"lot"`
	Characteristic string   `json:"characteristic"`
	Value          float64  `json:"value"`
	Lower          *float64 `json:"lower"`
	Upper          *float64 `json:"upper"`
	Pass           bool     `json:"pass"`
	TS             string   `json:"ts"`
}

// Parse reads and checks one result. Unknown fields are errors: a station
// that sends "characterstic" must be told, not silently lose the field.
func Parse(p []byte) (Result, time.Time, error) {
	var in struct {
		Unit           string   `json:"unit"`
		Lot            string   `json:"lot"`
		Characteristic string   `json:"characteristic"`
		Value          *float64 `json:"value"`
		Lower          *float64 `json:"lower"`
		Upper          *float64 `json:"upper"`
		Pass           *bool    `json:"pass"`
		TS             string   `json:"ts"`
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Result{}, time.Time{}, fmt.Errorf("result is not the QC JSON object: %v", err)
	}
	if dec.More() {
		return Result{}, time.Time{}, errors.New("result: trailing data after the JSON object")
	}
	var errs []error
	if in.Unit == "" && in.Lot == "" {
		errs = append(errs, errors.New("unit or lot required"))
	}
	if in.Characteristic == "" {
		errs = append(errs, errors.New("characteristic required"))
	}
	if in.Value == nil {
		errs = append(errs, errors.New("value required (a number)"))
	}
	var ts time.Time
	if in.TS != "" {
		t, err := time.Parse(time.RFC3339Nano, in.TS)
		if err != nil {
			errs = append(errs, fmt.Errorf("ts %q is not RFC 3339", in.TS))
		}
		ts = t
	}
	if in.Lower != nil && in.Upper != nil && *in.Lower > *in.Upper {
		errs = append(errs, fmt.Errorf("lower %v above upper %v", *in.Lower, *in.Upper))
	}
	if err := errors.Join(errs...); err != nil {
		return Result{}, ts, fmt.Errorf("result: %w", err)
	}
	r := Result{Unit: in.Unit, Lot: in.Lot, Characteristic: in.Characteristic, Value: *in.Value,
		Lower: in.Lower, Upper: in.Upper, TS: in.TS}
	if !ts.IsZero() {
		r.TS = ts.UTC().Format(time.RFC3339Nano)
	}
	if in.Pass != nil {
		r.Pass = *in.Pass
	} else {
		r.Pass = (in.Lower == nil || r.Value >= *in.Lower) && (in.Upper == nil || r.Value <= *in.Upper)
	}
	return r, ts, nil
}

// JSON is the normalised text form: fixed key order, ts in UTC.
func (r Result) JSON() string {
	b, _ := json.Marshal(r) // a struct of strings, finite floats and bools cannot fail
	return string(b)
}

// Driver is a push driver for one QC station. It implements devices.Pusher.
type Driver struct {
	name string
	mq   *mqtt.Driver
	log  *slog.Logger
}

var _ devices.Pusher = (*Driver)(nil)

// New builds the driver; it does not dial.
func New(name string, cfg Config, log *slog.Logger) (*Driver, error) {
	if log == nil {
		log = slog.Default()
	}
	mq, err := mqtt.New(name, cfg.mqtt(), log)
	if err != nil {
		return nil, err
	}
	return &Driver{name: name, mq: mq, log: log}, nil
}

// Start connects in the background; results arrive at sink.
func (d *Driver) Start(ctx context.Context, sink devices.Sink) error {
	return d.mq.Start(ctx, func(r devices.Reading) { sink(d.convert(r)) })
}

// Stop disconnects, bounded by ctx.
func (d *Driver) Stop(ctx context.Context) error { return d.mq.Stop(ctx) }

func (d *Driver) convert(r devices.Reading) devices.Reading {
	if r.Quality == devices.Bad {
		return r // connection lost or not UTF-8: already says why
	}
	text, _ := r.Value.(string)
	res, ts, err := Parse([]byte(text))
	if err == nil && (math.IsNaN(res.Value) || math.IsInf(res.Value, 0)) {
		err = errors.New("result: value is not finite")
	}
	if err != nil {
		d.log.Warn("qc result rejected", "device", d.name, "signal", r.Signal, "err", err)
		return devices.Reading{Signal: r.Signal, Quality: devices.Bad, SourceTime: r.SourceTime,
			Err: fmt.Errorf("device %s signal %s: %w", d.name, r.Signal, err)}
	}
	if !ts.IsZero() {
		r.SourceTime = ts
	}
	r.Value = res.JSON()
	return r
}
