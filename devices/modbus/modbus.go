// Package modbus is the Modbus TCP driver ("modbus"): it polls holding and
// input registers, coils and discrete inputs, grouping nearby addresses of one
// table into as few requests as the protocol allows.
//
// goburrow/modbus does not discard a reply that arrives after a timeout, so
// every later answer would be off by one: after any transport error or
// timeout the driver drops the connection and dials afresh. It must never
// reuse a connection whose last request did not complete.
//
// While a device is away the driver does not dial on every Poll: attempts
// back off (capped at maxBackoff, jittered) and Poll returns Bad readings at
// once in between. It logs one WARN when the device is lost and one INFO
// when it is back, not a line per poll.
package modbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/goburrow/modbus"
	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/configerr"
	"gopkg.in/yaml.v3"
)

// Config is a Modbus TCP device's whole configuration.
type Config struct {
	Address      string        `yaml:"address"` // host:port
	UnitID       int           `yaml:"unit_id"`
	PollInterval time.Duration `yaml:"poll_interval"`
	Timeout      time.Duration `yaml:"timeout"`
	Signals      []Signal      `yaml:"signals"`
}

// Signal is one value read from the device.
type Signal struct {
	Name      string   `yaml:"name"`
	Table     string   `yaml:"table"`   // holding | input | coil | discrete
	Address   *int     `yaml:"address"` // 0-based register or bit address
	Type      string   `yaml:"type"`    // int16 ... float64, bool
	ByteOrder string   `yaml:"byte_order"`
	WordOrder string   `yaml:"word_order"`
	Scale     *float64 `yaml:"scale"`
	Offset    *float64 `yaml:"offset"`
}

// NewConfig returns the defaults: unit 1, 1s poll, 2s timeout.
func NewConfig() Config {
	return Config{UnitID: 1, PollInterval: time.Second, Timeout: 2 * time.Second}
}

// DecodeConfig reads a device's YAML node (which also carries name and driver)
// over the defaults, fills per-signal defaults and validates.
func DecodeConfig(node *yaml.Node) (Config, error) {
	cfg := NewConfig()
	err := configerr.DecodeStrict(node, &cfg, "name", "driver")
	for i := range cfg.Signals {
		cfg.Signals[i] = cfg.Signals[i].withDefaults()
	}
	return cfg, errors.Join(err, cfg.Validate())
}

func (s Signal) withDefaults() Signal {
	if s.Table == "" {
		s.Table = "holding"
	}
	if s.Type == "" {
		s.Type = "uint16"
		if isBitTable(s.Table) {
			s.Type = "bool"
		}
	}
	if s.ByteOrder == "" {
		s.ByteOrder = "big"
	}
	if s.WordOrder == "" {
		s.WordOrder = "big"
	}
	return s
}

// SignalNames lists the configured signal names in order.
func (c Config) SignalNames() []string {
	out := make([]string, len(c.Signals))
	for i, s := range c.Signals {
		out[i] = s.Name
	}
	return out
}

var typeRegs = map[string]int{
	"int16": 1, "uint16": 1, "bool": 1,
	"int32": 2, "uint32": 2, "float32": 2,
	"int64": 4, "uint64": 4, "float64": 4,
}

func isBitTable(t string) bool { return t == "coil" || t == "discrete" }

// Validate reports every problem at once, with paths relative to the device.
func (c Config) Validate() error {
	var errs []error
	if c.Address == "" {
		errs = append(errs, configerr.Field("address", "required (host:port)"))
	} else if _, _, err := net.SplitHostPort(c.Address); err != nil {
		errs = append(errs, configerr.Field("address", "want host:port, got %q", c.Address))
	}
	if c.UnitID < 0 || c.UnitID > 255 {
		errs = append(errs, configerr.Field("unit_id", "must be 0..255, got %d", c.UnitID))
	}
	if c.PollInterval <= 0 {
		errs = append(errs, configerr.Field("poll_interval", "must be > 0"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, configerr.Field("timeout", "must be > 0"))
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
		switch s.Table {
		case "holding", "input", "coil", "discrete":
		default:
			errs = append(errs, configerr.Field(p+"table", "must be holding, input, coil or discrete, got %q", s.Table))
		}
		n, ok := typeRegs[s.Type]
		if !ok {
			errs = append(errs, configerr.Field(p+"type", "must be one of int16, uint16, int32, uint32, float32, int64, uint64, float64, bool; got %q", s.Type))
		} else if isBitTable(s.Table) && s.Type != "bool" {
			errs = append(errs, configerr.Field(p+"type", "%s table holds bits: type must be bool, got %q", s.Table, s.Type))
		}
		if s.Address == nil {
			errs = append(errs, configerr.Field(p+"address", "required (0-based)"))
		} else if *s.Address < 0 || *s.Address+max(n, 1)-1 > 65535 {
			errs = append(errs, configerr.Field(p+"address", "must be 0..65535 (for its whole width), got %d", *s.Address))
		}
		if s.ByteOrder != "big" && s.ByteOrder != "little" {
			errs = append(errs, configerr.Field(p+"byte_order", "must be big or little, got %q", s.ByteOrder))
		}
		if s.WordOrder != "big" && s.WordOrder != "little" {
			errs = append(errs, configerr.Field(p+"word_order", "must be big or little, got %q", s.WordOrder))
		}
		if s.Type == "bool" && (s.Scale != nil || s.Offset != nil) {
			errs = append(errs, configerr.Field(p+"scale", "scale and offset do not apply to bool"))
		}
		if s.Scale != nil && (*s.Scale == 0 || math.IsNaN(*s.Scale) || math.IsInf(*s.Scale, 0)) {
			errs = append(errs, configerr.Field(p+"scale", "must be a finite non-zero number"))
		}
	}
	return errors.Join(errs...)
}

const (
	maxRegs = 125  // registers per read request
	maxBits = 2000 // coils or discrete inputs per read request
	maxGap  = 16   // unused registers we accept reading to save a request
)

// block is one read request covering several signals of one table.
type block struct {
	table   string
	start   uint16
	qty     uint16
	members []int // signal indexes
}

// plan groups signals into as few requests as the limits allow.
func plan(sigs []Signal) []block {
	idx := make([]int, len(sigs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		sa, sb := sigs[a], sigs[b]
		if sa.Table != sb.Table {
			if sa.Table < sb.Table {
				return -1
			}
			return 1
		}
		return *sa.Address - *sb.Address
	})
	var out []block
	for _, i := range idx {
		s := sigs[i]
		width := typeRegs[s.Type]
		if isBitTable(s.Table) {
			width = 1
		}
		limit := maxRegs
		if isBitTable(s.Table) {
			limit = maxBits
		}
		start, end := *s.Address, *s.Address+width // end exclusive
		if n := len(out); n > 0 {
			b := &out[n-1]
			bEnd := int(b.start) + int(b.qty)
			if b.table == s.Table && start-bEnd <= maxGap && max(end, bEnd)-int(b.start) <= limit {
				b.qty = uint16(max(end, bEnd) - int(b.start))
				b.members = append(b.members, i)
				continue
			}
		}
		out = append(out, block{table: s.Table, start: uint16(start), qty: uint16(width), members: []int{i}})
	}
	return out
}

// Driver polls one Modbus TCP device. It implements devices.Poller.
type Driver struct {
	name   string
	cfg    Config
	log    *slog.Logger
	blocks []block

	mu      sync.Mutex
	handler *modbus.TCPClientHandler
	client  modbus.Client
	rc      *devices.Reconnect
}

// Reconnect pacing: the first retry after a failure comes within minBackoff,
// then the wait doubles up to maxBackoff (jittered down to half of it).
const (
	minBackoff = 200 * time.Millisecond
	maxBackoff = 10 * time.Second
)

var _ devices.Poller = (*Driver)(nil)

// New builds the driver; it does not dial.
func New(name string, cfg Config, log *slog.Logger) (*Driver, error) {
	for i := range cfg.Signals {
		cfg.Signals[i] = cfg.Signals[i].withDefaults()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	rc := devices.NewReconnect(log, "modbus", minBackoff, maxBackoff, "device", name, "address", cfg.Address)
	return &Driver{name: name, cfg: cfg, log: log, blocks: plan(cfg.Signals), rc: rc}, nil
}

// Poll reads every signal once. Failures become Bad readings.
func (d *Driver) Poll(ctx context.Context) []Reading {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Reading, len(d.cfg.Signals))
	for i, s := range d.cfg.Signals {
		out[i] = Reading{Signal: s.Name, Quality: devices.Bad}
	}
	fail := func(b []block, err error) {
		now := time.Now()
		for _, bl := range b {
			for _, i := range bl.members {
				out[i].SourceTime = now
				out[i].Err = fmt.Errorf("device %s signal %s: %w", d.name, d.cfg.Signals[i].Name, err)
			}
		}
	}
	for bi, b := range d.blocks {
		timeout := d.cfg.Timeout
		if dl, ok := ctx.Deadline(); ok {
			timeout = min(timeout, time.Until(dl))
		}
		if err := ctx.Err(); err != nil || timeout <= 0 {
			if err == nil {
				err = context.DeadlineExceeded
			}
			fail(d.blocks[bi:], err)
			break
		}
		if d.client == nil {
			if wait := d.rc.Wait(); wait > 0 {
				fail(d.blocks[bi:], fmt.Errorf("not connected to %s (retry in %v): %w", d.cfg.Address, wait.Round(time.Millisecond), d.rc.LastErr()))
				break
			}
			h := modbus.NewTCPClientHandler(d.cfg.Address)
			h.SlaveId = byte(d.cfg.UnitID)
			h.IdleTimeout = 0
			h.Timeout = timeout
			if err := h.Connect(); err != nil {
				err = fmt.Errorf("connect %s: %w", d.cfg.Address, err)
				d.rc.Failed(err)
				fail(d.blocks[bi:], err)
				break
			}
			d.handler, d.client = h, modbus.NewClient(h)
		}
		d.handler.Timeout = timeout
		data, err := d.read(b)
		if err != nil {
			var me *modbus.ModbusError
			if errors.As(err, &me) {
				// A complete exception reply: the connection is still in step.
				d.rc.OK()
				d.log.Debug("modbus exception", "device", d.name, "table", b.table, "start", b.start, "err", err)
				fail([]block{b}, fmt.Errorf("read %s %d+%d: %w", b.table, b.start, b.qty, err))
				continue
			}
			err = fmt.Errorf("read %s %d+%d: %w", b.table, b.start, b.qty, err)
			d.drop()
			d.rc.Failed(err)
			fail(d.blocks[bi:], err)
			break
		}
		want := int(b.qty) * 2
		if isBitTable(b.table) {
			want = (int(b.qty) + 7) / 8
		}
		if len(data) != want {
			err := fmt.Errorf("read %s %d+%d: got %d bytes, want %d", b.table, b.start, b.qty, len(data), want)
			d.drop()
			d.rc.Failed(err)
			fail(d.blocks[bi:], err)
			break
		}
		d.rc.OK()
		now := time.Now()
		for _, i := range b.members {
			s := d.cfg.Signals[i]
			off := *s.Address - int(b.start)
			var v any
			if isBitTable(b.table) {
				v = data[off/8]&(1<<(off%8)) != 0
			} else {
				n := typeRegs[s.Type] * 2
				var derr error
				v, derr = DecodeValue(data[off*2:off*2+n], s.Type, s.ByteOrder, s.WordOrder)
				if derr != nil {
					out[i].SourceTime = now
					out[i].Err = fmt.Errorf("device %s signal %s: %w", d.name, s.Name, derr)
					continue
				}
				v = scale(v, s)
			}
			out[i] = Reading{Signal: s.Name, Value: v, Quality: devices.Good, SourceTime: now}
			if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
				out[i].Quality = devices.Uncertain
				out[i].Err = fmt.Errorf("device %s signal %s: value is %v", d.name, s.Name, f)
			}
		}
	}
	return out
}

// Reading is devices.Reading, aliased to keep Poll's body short.
type Reading = devices.Reading

func (d *Driver) read(b block) ([]byte, error) {
	switch b.table {
	case "holding":
		return d.client.ReadHoldingRegisters(b.start, b.qty)
	case "input":
		return d.client.ReadInputRegisters(b.start, b.qty)
	case "coil":
		return d.client.ReadCoils(b.start, b.qty)
	case "discrete":
		return d.client.ReadDiscreteInputs(b.start, b.qty)
	}
	return nil, fmt.Errorf("unknown table %q", b.table)
}

func (d *Driver) drop() {
	if d.handler != nil {
		_ = d.handler.Close()
	}
	d.handler, d.client = nil, nil
}

// Close drops the connection.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.drop()
	return nil
}

// DecodeValue turns raw register bytes (as received, two bytes per register) into
// a value of typ. byteOrder "little" swaps the bytes inside each register;
// wordOrder "little" puts the least significant register first. Integers
// come back as int64 (uint64 for uint64), floats as float64.
func DecodeValue(raw []byte, typ, byteOrder, wordOrder string) (any, error) {
	n, ok := typeRegs[typ]
	if !ok {
		return nil, fmt.Errorf("unknown type %q", typ)
	}
	if len(raw) != n*2 {
		return nil, fmt.Errorf("%s needs %d bytes, got %d", typ, n*2, len(raw))
	}
	words := make([]uint16, n)
	for i := range words {
		hi, lo := raw[2*i], raw[2*i+1]
		if byteOrder == "little" {
			hi, lo = lo, hi
		}
		words[i] = uint16(hi)<<8 | uint16(lo)
	}
	if wordOrder == "little" {
		slices.Reverse(words)
	}
	var u uint64
	for _, w := range words {
		u = u<<16 | uint64(w)
	}
	switch typ {
	case "bool":
		return u != 0, nil
	case "int16":
		return int64(int16(u)), nil
	case "uint16", "uint32":
		return int64(u), nil
	case "int32":
		return int64(int32(u)), nil
	case "float32":
		return float64(math.Float32frombits(uint32(u))), nil
	case "int64":
		return int64(u), nil
	case "uint64":
		return u, nil
	case "float64":
		return math.Float64frombits(u), nil
	}
	return nil, fmt.Errorf("unknown type %q", typ)
}

func scale(v any, s Signal) any {
	if s.Scale == nil && s.Offset == nil {
		return v
	}
	var f float64
	switch x := v.(type) {
	case int64:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float64:
		f = x
	default:
		return v
	}
	if s.Scale != nil {
		f *= *s.Scale
	}
	if s.Offset != nil {
		f += *s.Offset
	}
	return f
}
