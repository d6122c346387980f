// Package scanner is the driver for fixed-mount barcode scanners that send
// each code as a line over a TCP socket ("scanner-tcp"). The driver is the
// TCP client: it dials the scanner, splits the byte stream at a configured
// terminator, strips prefix and suffix, optionally extracts the code with a
// regular expression, and pushes one Reading (Value: the code, a string) per
// scan.
//
// A scanner's stream is untrusted: a frame longer than max_length becomes a
// Bad reading and the driver drops bytes until the next terminator (resync),
// so one garbled frame never shifts or merges the codes after it. It must
// never buffer without bound or block its sink on the network.
package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/configerr"
	"gopkg.in/yaml.v3"
)

// Config is a TCP scanner's whole configuration.
type Config struct {
	Address     string        `yaml:"address"`      // host:port of the scanner
	Terminator  string        `yaml:"terminator"`   // crlf (default) | lf | cr | 0xNN | a literal of 1-2 bytes
	StripPrefix string        `yaml:"strip_prefix"` // removed from the start of a frame when present
	StripSuffix string        `yaml:"strip_suffix"` // removed from the end of a frame when present
	Pattern     string        `yaml:"pattern"`      // optional regexp: the code is its first group, else the whole match
	MaxLength   int           `yaml:"max_length"`   // longest frame in bytes; default 256
	DialTimeout time.Duration `yaml:"dial_timeout"` // default 5s
	Signals     []Signal      `yaml:"signals"`      // exactly one
}

// Signal names the readings; a scanner has exactly one.
type Signal struct {
	Name string `yaml:"name"`
}

// NewConfig returns the defaults: \r\n, 256 bytes, 5s dial timeout.
func NewConfig() Config {
	return Config{Terminator: "crlf", MaxLength: 256, DialTimeout: 5 * time.Second}
}

// DecodeConfig reads a device's YAML node (which also carries name and
// driver) over the defaults and validates it.
func DecodeConfig(node *yaml.Node) (Config, error) {
	cfg := NewConfig()
	err := configerr.DecodeStrict(node, &cfg, "name", "driver")
	return cfg, errors.Join(err, cfg.Validate())
}

// SignalNames lists the configured signal name.
func (c Config) SignalNames() []string {
	out := make([]string, len(c.Signals))
	for i, s := range c.Signals {
		out[i] = s.Name
	}
	return out
}

// TerminatorBytes resolves the terminator setting.
func TerminatorBytes(s string) ([]byte, error) {
	switch strings.ToLower(s) {
	case "", "crlf":
		return []byte("\r\n"), nil
	case "lf":
		return []byte("\n"), nil
	case "cr":
		return []byte("\r"), nil
	}
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		n, err := strconv.ParseUint(s[2:], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("%q is not one byte in hex (like 0x03)", s)
		}
		return []byte{byte(n)}, nil
	}
	if len(s) > 2 {
		return nil, fmt.Errorf("%q: want crlf, lf, cr, 0xNN or a literal of 1-2 bytes", s)
	}
	return []byte(s), nil
}

// Validate reports every problem at once, with paths relative to the device.
func (c Config) Validate() error {
	var errs []error
	if c.Address == "" {
		errs = append(errs, configerr.Field("address", "required (host:port of the scanner)"))
	} else if _, _, err := net.SplitHostPort(c.Address); err != nil {
		errs = append(errs, configerr.Field("address", "want host:port, got %q", c.Address))
	}
	if _, err := TerminatorBytes(c.Terminator); err != nil {
		errs = append(errs, configerr.Field("terminator", "%v", err))
	}
	if c.Pattern != "" {
		if re, err := regexp.Compile(c.Pattern); err != nil {
			errs = append(errs, configerr.Field("pattern", "invalid regexp: %v", err))
		} else if re.NumSubexp() > 1 {
			errs = append(errs, configerr.Field("pattern", "at most one group (the code), got %d", re.NumSubexp()))
		}
	}
	if c.MaxLength < 1 || c.MaxLength > 1<<16 {
		errs = append(errs, configerr.Field("max_length", "must be 1..65536, got %d", c.MaxLength))
	}
	if c.DialTimeout <= 0 {
		errs = append(errs, configerr.Field("dial_timeout", "must be > 0"))
	}
	if len(c.Signals) != 1 {
		errs = append(errs, configerr.Field("signals", "exactly one signal required (the scans), got %d", len(c.Signals)))
	}
	for i, s := range c.Signals {
		if s.Name == "" {
			errs = append(errs, configerr.Field(fmt.Sprintf("signals[%d].name", i), "required"))
		}
	}
	return errors.Join(errs...)
}

const (
	minBackoff = 200 * time.Millisecond
	maxBackoff = 10 * time.Second
)

// Driver reads one TCP scanner. It implements devices.Pusher.
type Driver struct {
	name string
	cfg  Config
	log  *slog.Logger
	term []byte
	re   *regexp.Regexp

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	conn   net.Conn
}

var _ devices.Pusher = (*Driver)(nil)

// New builds the driver; it does not dial.
func New(name string, cfg Config, log *slog.Logger) (*Driver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	d := &Driver{name: name, cfg: cfg, log: log}
	d.term, _ = TerminatorBytes(cfg.Terminator)
	if cfg.Pattern != "" {
		d.re = regexp.MustCompile(cfg.Pattern)
	}
	return d, nil
}

// Start launches the connect-read loop and returns at once.
func (d *Driver) Start(_ context.Context, sink devices.Sink) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done != nil {
		return fmt.Errorf("device %s: already started", d.name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel, d.done = cancel, make(chan struct{})
	go d.run(ctx, sink)
	return nil
}

// Stop closes the connection and ends the loop, bounded by ctx.
func (d *Driver) Stop(ctx context.Context) error {
	d.mu.Lock()
	cancel, done, conn := d.cancel, d.done, d.conn
	d.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	if conn != nil {
		_ = conn.Close() // unblocks Read
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("device %s: stop: %w", d.name, ctx.Err())
	}
}

func (d *Driver) signal() string { return d.cfg.Signals[0].Name }

func (d *Driver) bad(err error) devices.Reading {
	return devices.Reading{Signal: d.signal(), Quality: devices.Bad, SourceTime: time.Now(),
		Err: fmt.Errorf("device %s signal %s: %w", d.name, d.signal(), err)}
}

func (d *Driver) run(ctx context.Context, sink devices.Sink) {
	defer close(d.done)
	backoff := time.Duration(0)
	badSent := false
	for ctx.Err() == nil {
		dialer := net.Dialer{Timeout: d.cfg.DialTimeout, KeepAlive: 15 * time.Second}
		conn, err := dialer.DialContext(ctx, "tcp", d.cfg.Address)
		if err == nil {
			d.mu.Lock()
			d.conn = conn
			d.mu.Unlock()
			if ctx.Err() != nil { // Stop ran between dial and publishing conn
				conn.Close()
				return
			}
			d.log.Info("scanner connected", "device", d.name, "address", d.cfg.Address)
			badSent, backoff = false, 0
			err = d.read(ctx, conn, sink)
			conn.Close()
			d.mu.Lock()
			d.conn = nil
			d.mu.Unlock()
			if ctx.Err() != nil {
				return
			}
		}
		if backoff == 0 {
			backoff = minBackoff
		} else {
			backoff = min(backoff*2, maxBackoff)
		}
		d.log.Warn("scanner connection failed; reconnecting", "device", d.name, "address", d.cfg.Address, "retry_in", backoff, "err", err)
		if !badSent {
			badSent = true
			sink(d.bad(fmt.Errorf("scanner %s: %w", d.cfg.Address, err)))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

// read splits the stream into frames until the connection fails.
func (d *Driver) read(ctx context.Context, conn net.Conn, sink devices.Sink) error {
	f := Framer{Term: d.term, Max: d.cfg.MaxLength}
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			for _, fr := range f.Feed(buf[:n]) {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if r, ok := d.frame(fr); ok {
					sink(r)
				}
			}
		}
		if err != nil {
			return err
		}
	}
}

// frame turns one frame into a reading; ok is false for an empty frame.
func (d *Driver) frame(fr Frame) (devices.Reading, bool) {
	if fr.TooLong {
		d.log.Warn("scanner frame too long; resyncing at the next terminator", "device", d.name, "max_length", d.cfg.MaxLength)
		return d.bad(fmt.Errorf("frame longer than max_length %d bytes (starts %q); dropped up to the next terminator", d.cfg.MaxLength, show(fr.Data))), true
	}
	code, err := Extract(fr.Data, d.cfg.StripPrefix, d.cfg.StripSuffix, d.re)
	if err != nil {
		d.log.Warn("scanner frame rejected", "device", d.name, "err", err)
		return d.bad(err), true
	}
	if code == "" {
		return devices.Reading{}, false
	}
	return devices.Reading{Signal: d.signal(), Value: code, Quality: devices.Good, SourceTime: time.Now()}, true
}

// Extract gets the code out of one frame: strip prefix and suffix when
// present, trim blanks, then (with re) take re's first group or whole match.
// An empty result with no error means an empty frame (ignored).
func Extract(frame []byte, prefix, suffix string, re *regexp.Regexp) (string, error) {
	if !utf8.Valid(frame) {
		return "", fmt.Errorf("frame %q is not UTF-8 text", show(frame))
	}
	s := string(frame)
	s = strings.TrimPrefix(s, prefix)
	s = strings.TrimSuffix(s, suffix)
	s = strings.TrimSpace(s)
	if s == "" || re == nil {
		return s, nil
	}
	m := re.FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("no code matching %s in frame %q", re, show(frame))
	}
	if len(m) > 1 {
		return m[1], nil
	}
	return m[0], nil
}

func show(b []byte) string {
	const maxShow = 40
	if len(b) > maxShow {
		return string(b[:maxShow]) + "..."
	}
	return string(b)
}

// Frame is one terminated piece of the stream; TooLong frames hold only
// their first Max bytes.
type Frame struct {
	Data    []byte
	TooLong bool
}

// Framer splits a byte stream at Term, holding at most Max bytes of an
// unfinished frame. A frame that outgrows Max is reported once, TooLong,
// and everything up to the next terminator is dropped.
type Framer struct {
	Term []byte
	Max  int

	buf      []byte
	skipping bool
}

// Feed adds bytes and returns the frames they complete.
func (f *Framer) Feed(p []byte) []Frame {
	var out []Frame
	f.buf = append(f.buf, p...)
	for {
		i := bytes.Index(f.buf, f.Term)
		if i < 0 {
			break
		}
		data := f.buf[:i]
		if f.skipping {
			f.skipping = false
		} else if len(data) > f.Max {
			out = append(out, Frame{Data: bytes.Clone(data[:f.Max]), TooLong: true})
		} else {
			out = append(out, Frame{Data: bytes.Clone(data)})
		}
		f.buf = f.buf[i+len(f.Term):]
	}
	// No terminator in what is left: bound it. Keep len(Term)-1 bytes, which
	// may be the start of a terminator split across reads.
	if keep := len(f.Term) - 1; len(f.buf) > f.Max+keep {
		if !f.skipping {
			out = append(out, Frame{Data: bytes.Clone(f.buf[:f.Max]), TooLong: true})
			f.skipping = true
		}
		f.buf = append(f.buf[:0], f.buf[len(f.buf)-keep:]...)
	}
	if len(f.buf) == 0 {
		f.buf = nil // let a big backing array go
	}
	return out
}
