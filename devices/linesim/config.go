package linesim

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/linewise/linewise/devices/configerr"
	"gopkg.in/yaml.v3"
)

// Config is the whole simulator configuration. Build it with NewConfig so
// the defaults are in place, then decode YAML over it.
type Config struct {
	Seed  uint64  `yaml:"seed"`
	Speed float64 `yaml:"speed"` // simulated seconds per real second
	// HTTP is the listen address of the ground-truth and fault-control API.
	HTTP   string       `yaml:"http"`
	OPCUA  OPCUAConfig  `yaml:"opcua"`
	Modbus ModbusConfig `yaml:"modbus"`
	MQTT   MQTTConfig   `yaml:"mqtt"`
	Lines  []LineConfig `yaml:"lines"`
	// ClockOffset runs the simulated PLCs' clocks this far from the wall
	// clock (positive: ahead): every source timestamp they serve (OPC UA,
	// the MQTT state's ts) is off by it, as a PLC without time sync is.
	// Sim.SetClockOffset changes it while running.
	ClockOffset time.Duration `yaml:"clock_offset"`
	// BenchTags adds that many extra values changing every 100ms, for load
	// tests: OPC UA ns=1;s=Bench.T0000..., Modbus registers from BenchBase.
	BenchTags int `yaml:"bench_tags"`
}

// BenchBase is the first Modbus register (holding = input) of the bench
// values; it lies above the 600 lines' register map.
const BenchBase = 60000

// MaxBenchTags is how many bench values fit below Modbus address 65535.
const MaxBenchTags = 5000

// OPCUAConfig places the OPC UA server. An empty Host disables it; Port 0
// picks a free port (see Sim.OPCUAEndpoint).
type OPCUAConfig struct {
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// Security adds Basic256Sha256 endpoints in these modes (Sign,
	// SignAndEncrypt) next to the None endpoint, which always stays.
	Security []string `yaml:"security"`
	// CertFile and KeyFile are the server certificate and RSA key (PEM or
	// DER). Empty with security: a self-signed pair is generated at start.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// Users are the user names and passwords a client may log in with,
	// next to anonymous. They need security (gopcua offers user name
	// tokens only with an encrypting policy for the password).
	Users map[string]string `yaml:"users"`
}

// ModbusConfig places the Modbus TCP server. An empty Address disables it;
// port 0 picks a free port (see Sim.ModbusAddr).
type ModbusConfig struct {
	Address string `yaml:"address"`
}

// MQTTConfig names the broker the simulator publishes to. An empty Broker
// disables MQTT.
type MQTTConfig struct {
	Broker   string `yaml:"broker"`
	Prefix   string `yaml:"prefix"`
	ClientID string `yaml:"client_id"`
	// Sparkplug also publishes every line as a Sparkplug B edge node
	// spBv1.0/linesim/<type>/<line id> (see sparkplug.go).
	Sparkplug bool `yaml:"sparkplug"`
}

// LineConfig is one simulated production line.
type LineConfig struct {
	ID            string        `yaml:"id"`
	IdealCycle    time.Duration `yaml:"ideal_cycle"`
	ScrapRate     float64       `yaml:"scrap_rate"`
	ShortStopRate float64       `yaml:"short_stop_rate"` // probability per cycle
	ShortStop     time.Duration `yaml:"short_stop"`
	CounterBits   int           `yaml:"counter_bits"` // 16 or 32
	Running       *bool         `yaml:"running"`      // nil means true

	Changeover ChangeoverConfig `yaml:"changeover"`
	Scanner    ScannerConfig    `yaml:"scanner"`
	QC         QCConfig         `yaml:"qc"`
}

// ChangeoverConfig runs a line as a sequence of work orders: after
// OrderQty parts (good and reject) the line goes to setup for Setup of
// simulated time, making nothing, then starts the next order with the next
// product. OrderQty 0: one endless order, no changeovers.
type ChangeoverConfig struct {
	OrderQty int           `yaml:"order_qty"`
	Setup    time.Duration `yaml:"setup"`
	Products []string      `yaml:"products"` // run in turn; order n makes Products[(n-1) % len]
	Orders   []string      `yaml:"orders"`   // codes of the first orders; then WO-<line>-<n>
}

// ScannerConfig is the line's fixed barcode scanner, which reads each work
// order's code when the order starts. Address serves the codes as CRLF
// lines over TCP (the scanner as "TCP server", what devices/scanner dials;
// port 0 picks a free port, see Sim.ScannerAddr); MQTT also publishes each
// code as text on <prefix>/<line>/scan.
type ScannerConfig struct {
	Address string `yaml:"address"`
	MQTT    bool   `yaml:"mqtt"`
}

func (c ScannerConfig) enabled() bool { return c.Address != "" || c.MQTT }

// QCConfig is the line's QC station: every Every-th part made is measured,
// value ~ Normal(Nominal, Sigma), limits Nominal ± Tolerance, and the
// result published as devices/qc JSON on <prefix>/<line>/qc (with an
// mqtt.broker; the results are in the truth API either way).
type QCConfig struct {
	Every          int     `yaml:"every"` // 0: no QC station
	Characteristic string  `yaml:"characteristic"`
	Nominal        float64 `yaml:"nominal"`
	Tolerance      float64 `yaml:"tolerance"`
	Sigma          float64 `yaml:"sigma"`
}

// NewConfig returns the defaults: one line L1 on the ports `make run` uses.
func NewConfig() Config {
	return Config{
		Seed:   42,
		Speed:  1,
		HTTP:   "127.0.0.1:8471",
		OPCUA:  OPCUAConfig{Host: "127.0.0.1", Port: 4840},
		Modbus: ModbusConfig{Address: "127.0.0.1:5020"},
		MQTT:   MQTTConfig{Broker: "tcp://127.0.0.1:18830", Prefix: "linesim", ClientID: "linesim"},
	}
}

// withDefaults fills a line's zero fields. It is applied after decoding
// because YAML sequences replace, not merge, the constructor's lines.
func (l LineConfig) withDefaults() LineConfig {
	if l.IdealCycle == 0 {
		l.IdealCycle = time.Second
	}
	if l.ShortStop == 0 {
		l.ShortStop = 5 * time.Second
	}
	if l.CounterBits == 0 {
		l.CounterBits = 16
	}
	if l.Running == nil {
		t := true
		l.Running = &t
	}
	if l.QC.Every > 0 {
		if l.QC.Characteristic == "" {
			l.QC.Characteristic = "length_mm"
		}
		if l.QC.Nominal == 0 && l.QC.Tolerance == 0 && l.QC.Sigma == 0 {
			l.QC.Nominal, l.QC.Tolerance, l.QC.Sigma = 25, 0.05, 0.02
		}
	}
	return l
}

// Validate reports every problem at once, each as a configerr.FieldError.
func (c Config) Validate() error {
	var errs []error
	if c.Speed <= 0 || c.Speed > 10000 {
		errs = append(errs, configerr.Field("speed", "must be > 0 and <= 10000, got %v", c.Speed))
	}
	if c.HTTP == "" {
		errs = append(errs, configerr.Field("http", "listen address required"))
	} else if _, _, err := net.SplitHostPort(c.HTTP); err != nil {
		errs = append(errs, configerr.Field("http", "not host:port: %v", err))
	}
	if c.OPCUA.Port < 0 || c.OPCUA.Port > 65535 {
		errs = append(errs, configerr.Field("opcua.port", "must be 0..65535, got %d", c.OPCUA.Port))
	}
	seenMode := map[string]bool{}
	for i, m := range c.OPCUA.Security {
		if m != "Sign" && m != "SignAndEncrypt" {
			errs = append(errs, configerr.Field(fmt.Sprintf("opcua.security[%d]", i), "must be Sign or SignAndEncrypt (of Basic256Sha256), got %q", m))
		} else if seenMode[m] {
			errs = append(errs, configerr.Field(fmt.Sprintf("opcua.security[%d]", i), "duplicate mode %q", m))
		}
		seenMode[m] = true
	}
	if (c.OPCUA.CertFile == "") != (c.OPCUA.KeyFile == "") {
		errs = append(errs, configerr.Field("opcua.cert_file", "cert_file and key_file go together"))
	}
	if c.OPCUA.CertFile != "" && len(c.OPCUA.Security) == 0 {
		errs = append(errs, configerr.Field("opcua.cert_file", "only used with opcua.security"))
	}
	if len(c.OPCUA.Users) > 0 && len(c.OPCUA.Security) == 0 {
		errs = append(errs, configerr.Field("opcua.users", "need opcua.security (the password is encrypted with the server certificate)"))
	}
	if c.BenchTags < 0 || c.BenchTags > MaxBenchTags {
		errs = append(errs, configerr.Field("bench_tags", "must be 0..%d, got %d", MaxBenchTags, c.BenchTags))
	}
	if c.Modbus.Address != "" {
		if _, _, err := net.SplitHostPort(c.Modbus.Address); err != nil {
			errs = append(errs, configerr.Field("modbus.address", "not host:port: %v", err))
		}
	}
	if c.MQTT.Broker != "" {
		u, err := url.Parse(c.MQTT.Broker)
		if err != nil || u.Host == "" || (u.Scheme != "tcp" && u.Scheme != "mqtt" && u.Scheme != "ssl" && u.Scheme != "tls" && u.Scheme != "ws") {
			errs = append(errs, configerr.Field("mqtt.broker", "want tcp://host:port, got %q", c.MQTT.Broker))
		}
		if strings.ContainsAny(c.MQTT.Prefix, "#+") {
			errs = append(errs, configerr.Field("mqtt.prefix", "must not contain MQTT wildcards"))
		}
	}
	if len(c.Lines) == 0 {
		errs = append(errs, configerr.Field("lines", "at least one line required"))
	}
	if len(c.Lines) > 600 {
		errs = append(errs, configerr.Field("lines", "at most 600 lines fit the Modbus register map"))
	}
	seen := map[string]bool{}
	for i, l := range c.Lines {
		p := fmt.Sprintf("lines[%d].", i)
		switch {
		case l.ID == "":
			errs = append(errs, configerr.Field(p+"id", "required"))
		case strings.ContainsAny(l.ID, "/#+ ."):
			errs = append(errs, configerr.Field(p+"id", "%q must not contain '/', '#', '+', '.' or spaces", l.ID))
		case seen[l.ID]:
			errs = append(errs, configerr.Field(p+"id", "duplicate line id %q", l.ID))
		}
		seen[l.ID] = true
		if l.IdealCycle <= 0 {
			errs = append(errs, configerr.Field(p+"ideal_cycle", "must be > 0"))
		}
		if l.ScrapRate < 0 || l.ScrapRate > 1 {
			errs = append(errs, configerr.Field(p+"scrap_rate", "must be between 0 and 1, got %v", l.ScrapRate))
		}
		if l.ShortStopRate < 0 || l.ShortStopRate > 1 {
			errs = append(errs, configerr.Field(p+"short_stop_rate", "must be between 0 and 1, got %v", l.ShortStopRate))
		}
		if l.ShortStop < 0 {
			errs = append(errs, configerr.Field(p+"short_stop", "must be >= 0"))
		}
		if l.CounterBits != 16 && l.CounterBits != 32 {
			errs = append(errs, configerr.Field(p+"counter_bits", "must be 16 or 32, got %d", l.CounterBits))
		}
		co := l.Changeover
		if co.OrderQty < 0 {
			errs = append(errs, configerr.Field(p+"changeover.order_qty", "must be >= 0, got %d", co.OrderQty))
		}
		if co.Setup < 0 {
			errs = append(errs, configerr.Field(p+"changeover.setup", "must be >= 0"))
		}
		if co.OrderQty == 0 && (co.Setup != 0 || len(co.Products) > 1) {
			errs = append(errs, configerr.Field(p+"changeover.order_qty", "required (> 0) for setup or several products"))
		}
		for j, code := range co.Orders {
			if code == "" || strings.ContainsAny(code, "\r\n") {
				errs = append(errs, configerr.Field(fmt.Sprintf("%schangeover.orders[%d]", p, j), "must be a non-empty single-line code"))
			}
		}
		if a := l.Scanner.Address; a != "" {
			if _, _, err := net.SplitHostPort(a); err != nil {
				errs = append(errs, configerr.Field(p+"scanner.address", "not host:port: %v", err))
			}
		}
		if l.Scanner.MQTT && c.MQTT.Broker == "" {
			errs = append(errs, configerr.Field(p+"scanner.mqtt", "needs mqtt.broker"))
		}
		if l.QC.Every < 0 {
			errs = append(errs, configerr.Field(p+"qc.every", "must be >= 0, got %d", l.QC.Every))
		}
		if l.QC.Every > 0 && (l.QC.Tolerance < 0 || l.QC.Sigma < 0) {
			errs = append(errs, configerr.Field(p+"qc", "tolerance and sigma must be >= 0"))
		}
	}
	return errors.Join(errs...)
}

// LoadConfig reads and validates a YAML file. Its error lists every problem,
// one per line, as "file:line: key: message".
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(path, data)
}

// ParseConfig is LoadConfig on bytes; name is used in error messages.
func ParseConfig(name string, data []byte) (Config, error) {
	cfg := NewConfig()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(root.Content) == 0 {
		return Config{}, fmt.Errorf("%s: empty config", name)
	}
	var errs []error
	if err := configerr.DecodeStrict(&root, &cfg); err != nil {
		errs = append(errs, err)
	}
	for i := range cfg.Lines {
		cfg.Lines[i] = cfg.Lines[i].withDefaults()
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return cfg, nil
	}
	var out []error
	for _, e := range configerr.Locate(&root, errors.Join(errs...)) {
		var fe *configerr.FieldError
		if errors.As(e, &fe) && fe.Line > 0 {
			out = append(out, fmt.Errorf("%s:%d: %s: %s", name, fe.Line, fe.Path, fe.Msg))
			continue
		}
		out = append(out, fmt.Errorf("%s: %w", name, e))
	}
	return cfg, errors.Join(out...)
}
