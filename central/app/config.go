package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/edge/wire"
)

// Config is central's whole configuration; the yaml tags are the file's keys.
type Config struct {
	HTTP     string         `yaml:"http"`     // listen address of the API and dashboard
	DataDir  string         `yaml:"data_dir"` // where the SQLite file lives
	Database DatabaseConfig `yaml:"database"`
	MQTT     MQTTConfig     `yaml:"mqtt"`
	Demo     bool           `yaml:"demo"` // seed demo lines and orders into an empty database

	// DemoStart is when the demo's work order starts; zero means now. Tests set it.
	DemoStart time.Time `yaml:"-"`
}

// DatabaseConfig selects the store.
type DatabaseConfig struct {
	Driver string `yaml:"driver"` // sqlite (postgres is planned)
	DSN    string `yaml:"dsn"`    // empty: <data_dir>/central.db for sqlite
}

// MQTTConfig says where edge batches arrive.
type MQTTConfig struct {
	BrokerURL string         `yaml:"broker_url"` // empty: the embedded broker
	Embedded  EmbeddedBroker `yaml:"embedded"`
	ClientID  string         `yaml:"client_id"`
}

// EmbeddedBroker is the in-process MQTT broker for single-box installs.
type EmbeddedBroker struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"`
}

// DefaultConfig is what central runs with when the file says nothing.
func DefaultConfig() Config {
	return Config{
		HTTP:     "127.0.0.1:8480",
		DataDir:  "data/central",
		Database: DatabaseConfig{Driver: store.DriverSQLite},
		MQTT: MQTTConfig{
			Embedded: EmbeddedBroker{Enabled: true, Listen: "127.0.0.1:18830"},
			ClientID: "linewise-central",
		},
		Demo: true,
	}
}

// Validate reports every problem at once, each naming its key. It never
// touches the network or the disk.
func (c *Config) Validate() error {
	var errs []error
	if err := checkHostPort(c.HTTP); err != nil {
		errs = append(errs, devices.Field("http", "%v", err))
	}
	switch c.Database.Driver {
	case store.DriverSQLite:
		if c.Database.DSN == "" && strings.TrimSpace(c.DataDir) == "" {
			errs = append(errs, devices.Field("data_dir", "must be set when database.dsn is empty"))
		}
	case store.DriverPostgres:
		errs = append(errs, devices.Field("database.driver", "postgres is not supported by this build yet; use sqlite"))
	default:
		errs = append(errs, devices.Field("database.driver", "%q is not one of sqlite, postgres", c.Database.Driver))
	}
	if c.MQTT.Embedded.Enabled {
		if err := checkHostPort(c.MQTT.Embedded.Listen); err != nil {
			errs = append(errs, devices.Field("mqtt.embedded.listen", "%v", err))
		}
	}
	if c.MQTT.BrokerURL == "" && !c.MQTT.Embedded.Enabled {
		errs = append(errs, devices.Field("mqtt.broker_url", "must be set when mqtt.embedded.enabled is false"))
	}
	if c.MQTT.BrokerURL != "" {
		u, err := url.Parse(c.MQTT.BrokerURL)
		switch {
		case err != nil:
			errs = append(errs, devices.Field("mqtt.broker_url", "%v", err))
		case u.Scheme != "tcp" && u.Scheme != "mqtt" && u.Scheme != "ssl" && u.Scheme != "tls":
			errs = append(errs, devices.Field("mqtt.broker_url", "scheme %q is not one of tcp, mqtt, ssl, tls", u.Scheme))
		case u.Host == "":
			errs = append(errs, devices.Field("mqtt.broker_url", "missing host:port"))
		}
	}
	if err := wire.ValidID(c.MQTT.ClientID); err != nil {
		errs = append(errs, devices.Field("mqtt.client_id", "%v", err))
	}
	return errors.Join(errs...)
}

func checkHostPort(addr string) error {
	if addr == "" {
		return errors.New("must be set, as host:port")
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port must be a number from 0 to 65535", addr)
	}
	return nil
}

// LoadConfig reads a YAML file over the defaults, rejecting unknown keys,
// and validates it. Every problem comes back at once as "path:line: key: message".
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	if root.Kind == 0 { // empty file: defaults
		return cfg, prefixed(path, &root, cfg.Validate())
	}
	// Both at once: a typo and a bad value are fixed in one edit, not two runs.
	err = errors.Join(devices.DecodeStrict(&root, &cfg), cfg.Validate())
	return cfg, prefixed(path, &root, err)
}

// prefixed places each problem in the file: path:line: key: message.
func prefixed(path string, root *yaml.Node, err error) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range devices.Locate(root, err) {
		var fe *devices.FieldError
		switch {
		case errors.As(e, &fe) && fe.Line > 0:
			out = append(out, fmt.Errorf("%s:%d: %s: %s", path, fe.Line, fe.Path, fe.Msg))
		case errors.As(e, &fe):
			out = append(out, fmt.Errorf("%s: %s: %s", path, fe.Path, fe.Msg))
		default:
			out = append(out, fmt.Errorf("%s: %w", path, e))
		}
	}
	return errors.Join(out...)
}
