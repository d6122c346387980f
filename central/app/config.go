package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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

	"github.com/linewise/linewise/central/broker"
	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/exceptions"
	"github.com/linewise/linewise/central/httpapi"
	"github.com/linewise/linewise/central/ingest"
	"github.com/linewise/linewise/central/money"
	"github.com/linewise/linewise/central/notify"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/planning"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/throttle"
	"github.com/linewise/linewise/devices/configerr"
	"github.com/linewise/linewise/edge/wire"
)

// Config is central's whole configuration; the yaml tags are the file's keys.
type Config struct {
	HTTP string `yaml:"http"` // listen address of the API and dashboard
	// TLS: central serves HTTPS itself, or says it sits behind a proxy that
	// does; either way its cookies are Secure and it sends HSTS.
	TLS      TLSConfig      `yaml:"tls"`
	Security SecurityConfig `yaml:"security"`
	DataDir  string         `yaml:"data_dir"` // where the SQLite file lives
	Database DatabaseConfig `yaml:"database"`
	MQTT     MQTTConfig     `yaml:"mqtt"`
	Demo     bool           `yaml:"demo"` // seed demo lines and orders into an empty database
	// DemoHistory adds yesterday's finished production to the demo seed,
	// so the stored reports of yesterday exist at once (make run).
	DemoHistory bool `yaml:"demo_history"`
	// Planning tunes the rescheduler (see planning.Config).
	Planning planning.Config `yaml:"planning"`
	// Exceptions tunes when exceptions are raised (see exceptions.Config).
	Exceptions exceptions.Config `yaml:"exceptions"`
	// Reports tunes the OEE reports (see oee.Config): the plant day's
	// start, the small-stop and startup thresholds, the reason codes.
	Reports oee.Config `yaml:"reports"`
	// Dashboard sets the dashboard's attainment colours (see
	// httpapi.DashboardConfig).
	Dashboard httpapi.DashboardConfig `yaml:"dashboard"`
	// Execution holds the shop-floor execution rules (scan repeat window,
	// predecessor overlap, overrun tolerance; see domain.ExecutionRules).
	Execution domain.ExecutionRules `yaml:"execution"`
	// Purchasing holds the purchasing rules: the plant's currency, approval
	// limits per role, exchange rates, over-receipt tolerance (see
	// domain.PurchasingRules).
	Purchasing domain.PurchasingRules `yaml:"purchasing"`
	// Review is the order review: sign-offs per order type, who signs
	// each, technical coordination and escalation (domain.ReviewPolicy).
	Review domain.ReviewPolicy `yaml:"review"`
	// Rush is rush insertion: the rush line for grade-A customers' small
	// orders and the management roles that approve (domain.RushRules).
	Rush domain.RushRules `yaml:"rush"`
	// SignIn limits wrong guesses at sign-in, password change and badge
	// scans (see throttle.Config); counted in memory on SQLite, in the
	// database on PostgreSQL (shared by replicas).
	SignIn throttle.Config `yaml:"sign_in"`
	// EdgeAuth limits failed edge credentials at HTTPS ingest and heartbeat
	// and at the embedded broker's CONNECT (see throttle.EdgeGuard).
	EdgeAuth throttle.Config `yaml:"edge_auth"`
	// Cost is the cost settlement's currency (see CostConfig).
	Cost CostConfig `yaml:"cost"`
	// Notify routes notices to e-mail and webhooks and sets escalation
	// (see notify.Config).
	Notify notify.Config `yaml:"notify"`
	// Ingest bounds the events edges deliver (see IngestConfig).
	Ingest IngestConfig `yaml:"ingest"`
	// Edges that may deliver batches. Empty: authentication is off and any
	// client may publish any edge's batches (logged as a warning at start).
	Edges []EdgeConfig `yaml:"edges"`

	// AdminBootstrap, when set, is created as an admin at start if the store
	// has no enabled admin. main fills it from LINEWISE_ADMIN_PASSWORD (see
	// AdminFromEnv); never from YAML, so no config file holds a password.
	AdminBootstrap *AdminBootstrap `yaml:"-"`

	// ExceptionsNow is the exception rules' clock; nil means time.Now. Tests set it.
	ExceptionsNow func() time.Time `yaml:"-"`
	// DemoStart is when the demo's work order starts; zero means now. Tests set it.
	DemoStart time.Time `yaml:"-"`
	// CommitDelay holds every ingest commit this long: a slow database, for
	// fault-injection tests only. Not settable from YAML.
	CommitDelay time.Duration `yaml:"-"`
}

// CostConfig: every rate and cost sheet is in Currency (ISO 4217); an
// order priced in another currency gets no margin.
type CostConfig struct {
	Currency string `yaml:"currency"`
}

// DatabaseConfig selects the store.
type DatabaseConfig struct {
	Driver string `yaml:"driver"` // sqlite or postgres
	// DSN: for sqlite empty means <data_dir>/central.db; for postgres it is
	// required, e.g. postgres://user@host:5432/db?sslmode=require.
	DSN string `yaml:"dsn"`
}

// MQTTConfig says where edge batches arrive.
type MQTTConfig struct {
	BrokerURL string         `yaml:"broker_url"` // empty: the embedded broker
	Embedded  EmbeddedBroker `yaml:"embedded"`
	ClientID  string         `yaml:"client_id"`
	// Username and Password are central's own MQTT credentials (empty: none).
	// With edges configured and the embedded broker, an empty username means
	// client_id and an empty password a random one made at each start.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// SharedGroup, when set, subscribes to the edges' batches as the MQTT
	// shared subscription $share/<group>/…, so the broker hands each batch
	// to one of the replicas in the group (each replica needs its own
	// client_id). Statuses are subscribed to by every replica.
	SharedGroup string `yaml:"shared_group"`
}

// EdgeConfig is one edge allowed to deliver batches. Its MQTT username is
// its id and its password the token; over HTTPS the token is the bearer
// token. Give the token as token_sha256 (hex SHA-256, e.g. from
// `printf %s "$TOKEN" | sha256sum`) so the file holds no secret; plain
// token is accepted for demos and development.
type EdgeConfig struct {
	ID          string   `yaml:"id"`
	Token       string   `yaml:"token"`
	TokenSHA256 string   `yaml:"token_sha256"`
	Lines       []string `yaml:"lines"` // lines whose events this edge may report
}

// minTokenLen keeps guessable tokens out of configs.
const minTokenLen = 16

// tokenHash is the edge's token digest, from whichever key holds it.
func (e EdgeConfig) tokenHash() ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	switch {
	case e.Token != "" && e.TokenSHA256 != "":
		return h, errors.New("set token or token_sha256, not both")
	case e.Token != "":
		if len(e.Token) < minTokenLen {
			return h, fmt.Errorf("token must be at least %d characters", minTokenLen)
		}
		return sha256.Sum256([]byte(e.Token)), nil
	case e.TokenSHA256 != "":
		b, err := hex.DecodeString(e.TokenSHA256)
		if err != nil || len(b) != sha256.Size {
			return h, errors.New("token_sha256 must be 64 hex digits (the SHA-256 of the token)")
		}
		copy(h[:], b)
		return h, nil
	default:
		return h, errors.New("token or token_sha256 is required")
	}
}

// centralUsername is the MQTT username central connects with.
func (c *Config) centralUsername() string {
	if c.MQTT.Username != "" {
		return c.MQTT.Username
	}
	return c.MQTT.ClientID
}

// EdgeList returns the configured edges for ingest; call after Validate.
func (c *Config) EdgeList() []ingest.Edge {
	var out []ingest.Edge
	for _, e := range c.Edges {
		h, _ := e.tokenHash()
		out = append(out, ingest.Edge{ID: e.ID, TokenSHA256: h, Lines: e.Lines})
	}
	return out
}

func (c *Config) validateEdges() []error {
	var errs []error
	ids := map[string]bool{}
	tokens := map[[sha256.Size]byte]string{}
	for i, e := range c.Edges {
		p := fmt.Sprintf("edges[%d]", i)
		if err := wire.ValidID(e.ID); err != nil {
			errs = append(errs, configerr.Field(p+".id", "%v", err))
		} else if strings.HasPrefix(e.ID, domain.StationEdgePrefix) {
			errs = append(errs, configerr.Field(p+".id", "%q: ids starting with %q are the stations' own (manual reports)", e.ID, domain.StationEdgePrefix))
		} else if ids[e.ID] {
			errs = append(errs, configerr.Field(p+".id", "edge %q is listed twice", e.ID))
		} else if e.ID == c.centralUsername() {
			errs = append(errs, configerr.Field(p+".id", "%q is central's own MQTT username", e.ID))
		}
		ids[e.ID] = true
		key := p + ".token"
		if e.Token == "" && e.TokenSHA256 != "" {
			key = p + ".token_sha256"
		}
		if h, err := e.tokenHash(); err != nil {
			errs = append(errs, configerr.Field(key, "%v", err))
		} else if other, dup := tokens[h]; dup {
			errs = append(errs, configerr.Field(key, "same token as edge %q; each edge needs its own", other))
		} else {
			tokens[h] = e.ID
		}
		if len(e.Lines) == 0 {
			errs = append(errs, configerr.Field(p+".lines", "at least one line is required"))
		}
		for j, l := range e.Lines {
			if err := wire.ValidID(l); err != nil {
				errs = append(errs, configerr.Field(fmt.Sprintf("%s.lines[%d]", p, j), "%v", err))
			}
		}
	}
	return errs
}

// TLSConfig is how browsers reach central over HTTPS.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"` // PEM certificate (chain); with key_file central serves HTTPS
	KeyFile  string `yaml:"key_file"`
	// BehindProxy says a TLS-terminating reverse proxy serves central to
	// browsers: central itself speaks HTTP to the proxy.
	BehindProxy bool `yaml:"behind_proxy"`
}

// SecurityConfig holds secrets kept outside the database.
type SecurityConfig struct {
	// BadgePepperFile holds at least 16 bytes mixed into the key of stored
	// badge hashes, so that a copy of the database alone reveals no badge
	// code. Set it before issuing badges: central refuses to start with a
	// different one while users have badges.
	BadgePepperFile string `yaml:"badge_pepper_file"`
}

// BadgePepper reads the pepper file; nil without one.
func (s SecurityConfig) BadgePepper() ([]byte, error) {
	if s.BadgePepperFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(s.BadgePepperFile)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) < 16 {
		return nil, errors.New("must hold at least 16 bytes")
	}
	return b, nil
}

// HTTPS reports whether browsers reach central over HTTPS.
func (t TLSConfig) HTTPS() bool { return t.CertFile != "" || t.BehindProxy }

func (t TLSConfig) validate() []error {
	var errs []error
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		errs = append(errs, configerr.Field("tls.key_file", "is required with tls.cert_file"))
	case t.CertFile == "" && t.KeyFile != "":
		errs = append(errs, configerr.Field("tls.cert_file", "is required with tls.key_file"))
	}
	for key, f := range map[string]string{"tls.cert_file": t.CertFile, "tls.key_file": t.KeyFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			errs = append(errs, configerr.Field(key, "%v", err))
		}
	}
	return errs
}

// EmbeddedBroker is the in-process MQTT broker for single-box installs.
type EmbeddedBroker struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"`
	// AnonymousTopics, with edges configured, still lets clients without
	// credentials (the line simulator, sensor gateways) connect, limited to
	// these topics: each exact or "prefix/#", never under linewise/.
	AnonymousTopics []string `yaml:"anonymous_topics"`
	// Limits: max_packet_bytes, max_inflight, max_retained and
	// max_retained_bytes (see broker.Limits).
	MaxPacketBytes   int `yaml:"max_packet_bytes"`
	MaxInflight      int `yaml:"max_inflight"`
	MaxRetained      int `yaml:"max_retained"`
	MaxRetainedBytes int `yaml:"max_retained_bytes"`
}

// Limits are the embedded broker's limits from these keys.
func (e EmbeddedBroker) Limits() broker.Limits {
	return broker.Limits{MaxPacketBytes: e.MaxPacketBytes, MaxInflight: e.MaxInflight,
		MaxRetained: e.MaxRetained, MaxRetainedBytes: e.MaxRetainedBytes}
}

// DefaultEdgeAuth: 10 failed credentials per edge id or 30 per address
// within 15 minutes lock it out for 15 minutes. An edge with a stale token
// retries every few seconds: it is locked out within a minute, logged once.
func DefaultEdgeAuth() throttle.Config {
	return throttle.Config{MaxFailures: 10, IPMaxFailures: 30, Window: 15 * time.Minute}
}

// DefaultConfig is what central runs with when the file says nothing.
func DefaultConfig() Config {
	return Config{
		HTTP:     "127.0.0.1:8480",
		DataDir:  "data/central",
		Database: DatabaseConfig{Driver: store.DriverSQLite},
		MQTT: MQTTConfig{
			Embedded: defaultEmbedded(),
			ClientID: "linewise-central",
		},
		Demo:       true,
		Planning:   planning.DefaultConfig(),
		Exceptions: exceptions.DefaultConfig(),
		Reports:    oee.DefaultConfig(),
		Dashboard:  httpapi.DefaultDashboard(),
		Execution:  domain.DefaultExecutionRules(),
		Purchasing: domain.DefaultPurchasingRules(),
		Review:     domain.DefaultReviewPolicy(),
		Rush:       domain.DefaultRushRules(),
		SignIn:     throttle.DefaultConfig(),
		EdgeAuth:   DefaultEdgeAuth(),
		Ingest:     DefaultIngestConfig(),
		Notify:     notify.DefaultConfig(),
		Cost:       CostConfig{Currency: "CNY"},
	}
}

func defaultEmbedded() EmbeddedBroker {
	l := broker.DefaultLimits()
	return EmbeddedBroker{Enabled: true, Listen: "127.0.0.1:18830", MaxPacketBytes: l.MaxPacketBytes,
		MaxInflight: l.MaxInflight, MaxRetained: l.MaxRetained, MaxRetainedBytes: l.MaxRetainedBytes}
}

// Validate reports every problem at once, each naming its key. It never
// touches the network or the disk.
func (c *Config) Validate() error {
	var errs []error
	if err := c.Planning.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Exceptions.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Reports.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Dashboard.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Execution.Validate("execution"); err != nil {
		errs = append(errs, err)
	}
	for _, fe := range c.Purchasing.Validate() {
		errs = append(errs, configerr.Field("purchasing."+fe.Field, "%s", fe.Rule))
	}
	for _, fe := range c.Review.Validate() {
		errs = append(errs, configerr.Field("review."+fe.Field, "%s", fe.Rule))
	}
	for _, fe := range c.Rush.Validate() {
		errs = append(errs, configerr.Field("rush."+fe.Field, "%s", fe.Rule))
	}
	if err := c.SignIn.Validate("sign_in"); err != nil {
		errs = append(errs, err)
	}
	if err := money.ValidCurrency(c.Cost.Currency); err != nil {
		errs = append(errs, configerr.Field("cost.currency", "%v", err))
	}
	if err := c.Notify.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Ingest.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := checkHostPort(c.HTTP); err != nil {
		errs = append(errs, configerr.Field("http", "%v", err))
	}
	errs = append(errs, c.TLS.validate()...)
	if _, err := c.Security.BadgePepper(); err != nil {
		errs = append(errs, configerr.Field("security.badge_pepper_file", "%v", err))
	}
	switch c.Database.Driver {
	case store.DriverSQLite:
		if c.Database.DSN == "" && strings.TrimSpace(c.DataDir) == "" {
			errs = append(errs, configerr.Field("data_dir", "must be set when database.dsn is empty"))
		}
	case store.DriverPostgres:
		if strings.TrimSpace(c.Database.DSN) == "" {
			errs = append(errs, configerr.Field("database.dsn", "is required when database.driver is postgres"))
		}
	default:
		errs = append(errs, configerr.Field("database.driver", "%q is not one of sqlite, postgres", c.Database.Driver))
	}
	if err := c.EdgeAuth.Validate("edge_auth"); err != nil {
		errs = append(errs, err)
	}
	if c.MQTT.Embedded.Enabled {
		if err := checkHostPort(c.MQTT.Embedded.Listen); err != nil {
			errs = append(errs, configerr.Field("mqtt.embedded.listen", "%v", err))
		}
		if err := c.MQTT.Embedded.Limits().Validate("mqtt.embedded"); err != nil {
			errs = append(errs, err)
		}
	}
	for i, f := range c.MQTT.Embedded.AnonymousTopics {
		if err := broker.ValidAnonymousTopic(f); err != nil {
			errs = append(errs, configerr.Field(fmt.Sprintf("mqtt.embedded.anonymous_topics[%d]", i), "%v", err))
		}
	}
	if c.MQTT.BrokerURL == "" && !c.MQTT.Embedded.Enabled {
		errs = append(errs, configerr.Field("mqtt.broker_url", "must be set when mqtt.embedded.enabled is false"))
	}
	if c.MQTT.BrokerURL != "" {
		u, err := url.Parse(c.MQTT.BrokerURL)
		switch {
		case err != nil:
			errs = append(errs, configerr.Field("mqtt.broker_url", "%v", err))
		case u.Scheme != "tcp" && u.Scheme != "mqtt" && u.Scheme != "ssl" && u.Scheme != "tls":
			errs = append(errs, configerr.Field("mqtt.broker_url", "scheme %q is not one of tcp, mqtt, ssl, tls", u.Scheme))
		case u.Host == "":
			errs = append(errs, configerr.Field("mqtt.broker_url", "missing host:port"))
		}
	}
	if g := c.MQTT.SharedGroup; g != "" && (strings.ContainsAny(g, "/+#$") || len(g) > 64) {
		errs = append(errs, configerr.Field("mqtt.shared_group", "%q may not hold / + # $ or be longer than 64 characters", g))
	}
	if err := wire.ValidID(c.MQTT.ClientID); err != nil {
		errs = append(errs, configerr.Field("mqtt.client_id", "%v", err))
	}
	errs = append(errs, c.validateEdges()...)
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
	err = errors.Join(configerr.DecodeStrict(&root, &cfg), cfg.Validate())
	return cfg, prefixed(path, &root, err)
}

// prefixed places each problem in the file: path:line: key: message.
func prefixed(path string, root *yaml.Node, err error) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range configerr.Locate(root, err) {
		var fe *configerr.FieldError
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
