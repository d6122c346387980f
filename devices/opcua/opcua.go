// Package opcua is the OPC UA driver ("opcua"): it reads a list of variable
// nodes in one Read request per poll, or subscribes to them, over a channel
// with security None or Basic256Sha256 (Sign or SignAndEncrypt), anonymous
// or with user name and password.
//
// gopcua does not check whom a server certificate belongs to; the driver
// does (security.go), and must never open a secured session to a server
// whose certificate is not trusted unless insecure_skip_verify says so.
//
// gopcua's own auto-reconnect gives up for good after a refused connection,
// so the driver owns reconnecting: after a failure it throws the client away
// and dials a new one, with capped, jittered exponential backoff. While it
// waits, Poll returns Bad readings at once; it must never hang on a dead
// server. It logs one WARN when the server is lost and one INFO when it is
// back (devices.Reconnect), not a line per attempt.
package opcua

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gopcua/opcua"
	"github.com/gopcua/opcua/ua"
	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/configerr"
	"gopkg.in/yaml.v3"
)

// Config is an OPC UA device's whole configuration.
type Config struct {
	Endpoint     string        `yaml:"endpoint"` // opc.tcp://host:port[/path]
	Mode         string        `yaml:"mode"`     // poll (default) | subscribe
	PollInterval time.Duration `yaml:"poll_interval"`
	Timeout      time.Duration `yaml:"timeout"`
	Username     string        `yaml:"username"` // empty: anonymous
	Password     string        `yaml:"password"`

	// Security: see security.go and the README.
	SecurityPolicy     string `yaml:"security_policy"` // None (default) | Basic256Sha256
	SecurityMode       string `yaml:"security_mode"`   // None | Sign | SignAndEncrypt
	CertFile           string `yaml:"cert_file"`       // client certificate, PEM or DER
	KeyFile            string `yaml:"key_file"`        // client RSA private key, PEM or DER
	TrustedDir         string `yaml:"trusted_dir"`     // folder of trusted server (or CA) certificates
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`

	Signals []Signal `yaml:"signals"`
}

// Signal is one variable node.
type Signal struct {
	Name string `yaml:"name"`
	Node string `yaml:"node"` // ns=1;s=L1.GoodCount, ns=2;i=1001 or nsu=urn:x;s=Name
}

// ParseNode reads a node id in text form. For the nsu=<uri>;... form it
// returns the namespace URI and the id with namespace 0, to be resolved
// against the server's NamespaceArray at connect.
func ParseNode(s string) (nsURI string, id *ua.NodeID, err error) {
	if rest, ok := strings.CutPrefix(s, "nsu="); ok {
		uri, ident, ok := strings.Cut(rest, ";")
		if !ok || uri == "" {
			return "", nil, fmt.Errorf("want nsu=<namespace uri>;<s=|i=|g=|b=>..., got %q", s)
		}
		id, err := ua.ParseNodeID(ident)
		if err != nil {
			return "", nil, err
		}
		return uri, id, nil
	}
	id, err = ua.ParseNodeID(s)
	return "", id, err
}

// NewConfig returns the defaults: 1s poll, 5s timeout.
func NewConfig() Config {
	return Config{PollInterval: time.Second, Timeout: 5 * time.Second}
}

// DecodeConfig reads a device's YAML node (which also carries name and
// driver) over the defaults and validates it.
func DecodeConfig(node *yaml.Node) (Config, error) {
	cfg := NewConfig()
	err := configerr.DecodeStrict(node, &cfg, "name", "driver")
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

// Validate reports every problem at once, with paths relative to the device.
func (c Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.Endpoint); c.Endpoint == "" || err != nil || u.Scheme != "opc.tcp" || u.Host == "" {
		errs = append(errs, configerr.Field("endpoint", "want opc.tcp://host:port, got %q", c.Endpoint))
	}
	if c.Mode != "" && c.Mode != "poll" && c.Mode != "subscribe" {
		errs = append(errs, configerr.Field("mode", "must be poll or subscribe, got %q", c.Mode))
	}
	if c.PollInterval <= 0 {
		errs = append(errs, configerr.Field("poll_interval", "must be > 0"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, configerr.Field("timeout", "must be > 0"))
	}
	if (c.Username == "") != (c.Password == "") {
		errs = append(errs, configerr.Field("username", "username and password go together (both empty: anonymous)"))
	}
	errs = append(errs, c.validateSecurity()...)
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
		if s.Node == "" {
			errs = append(errs, configerr.Field(p+"node", "required (like ns=1;s=L1.GoodCount)"))
		} else if _, _, err := ParseNode(s.Node); err != nil {
			errs = append(errs, configerr.Field(p+"node", "invalid node id %q: %v", s.Node, err))
		}
	}
	return errors.Join(errs...)
}

// Reconnect pacing: the first retry after a failure comes within minBackoff,
// then the wait doubles up to maxBackoff (jittered down to half of it).
const (
	minBackoff = 200 * time.Millisecond
	maxBackoff = 10 * time.Second
)

// Driver polls one OPC UA server. It implements devices.Poller.
type Driver struct {
	name  string
	cfg   Config
	log   *slog.Logger
	nodes []nodeRef
	creds *credentials // nil with security None

	mu     sync.Mutex
	req    *ua.ReadRequest // node ids resolved for the current connection
	client *opcua.Client
	rc     *devices.Reconnect
	// oddType holds the signals already logged for a value of an
	// unsupported type: logged once, not on every poll. Only the goroutine
	// that reads (Poll under mu, or the Subscriber's loop) touches it.
	oddType map[string]bool
}

var _ devices.Poller = (*Driver)(nil)

// New builds the driver; it does not dial. With security it reads the
// client certificate and key (errors name cert_file or key_file).
func New(name string, cfg Config, log *slog.Logger) (*Driver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	creds, err := loadSecurity(cfg)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	if cfg.secured() && cfg.InsecureSkipVerify {
		log.Warn("opcua server certificate will not be verified (insecure_skip_verify: true): any server, or anyone in between, can pose as this device",
			"device", name, "endpoint", cfg.Endpoint)
	}
	d := &Driver{name: name, cfg: cfg, log: log, creds: creds,
		rc: devices.NewReconnect(log, "opcua", minBackoff, maxBackoff, "device", name, "endpoint", cfg.Endpoint)}
	for _, s := range cfg.Signals {
		uri, id, _ := ParseNode(s.Node) // checked by Validate
		d.nodes = append(d.nodes, nodeRef{uri: uri, id: id})
	}
	return d, nil
}

// nodeRef is a configured node id; uri is set for the nsu= form.
type nodeRef struct {
	uri string
	id  *ua.NodeID
}

// connect dials, logs in (anonymous, or user name and password with the
// password encrypted for the server as its endpoint asks) and resolves
// nsu= node ids through the server's NamespaceArray. With security it first
// reads the server's endpoints, picks the one of the configured policy and
// mode, and refuses a server certificate that is not trusted before any
// session is opened. The caller closes the client, also on error.
func (d *Driver) connect(ctx context.Context) (*opcua.Client, *ua.ReadRequest, error) {
	opts := []opcua.Option{
		opcua.AutoReconnect(false),
		opcua.DialTimeout(d.cfg.Timeout),
		opcua.RequestTimeout(d.cfg.Timeout),
	}
	if d.cfg.Username != "" || d.cfg.secured() {
		eps, err := opcua.GetEndpoints(ctx, d.cfg.Endpoint, opcua.DialTimeout(d.cfg.Timeout), opcua.RequestTimeout(d.cfg.Timeout))
		if err != nil {
			return nil, nil, fmt.Errorf("get endpoints: %w", err)
		}
		ep, err := opcua.SelectEndpoint(eps, d.cfg.policyURI(), d.cfg.messageMode())
		if err != nil {
			return nil, nil, fmt.Errorf("select endpoint: %w", err)
		}
		if d.cfg.secured() {
			if err := verifyServer(d.cfg, ep.ServerCertificate); err != nil {
				return nil, nil, err
			}
			opts = append(opts, opcua.Certificate(d.creds.cert), opcua.PrivateKey(d.creds.key))
		}
		ep.EndpointURL = d.cfg.Endpoint // the server may advertise a name we cannot resolve
		if d.cfg.Username != "" {
			opts = append(opts, opcua.SecurityFromEndpoint(ep, ua.UserTokenTypeUserName), opcua.AuthUsername(d.cfg.Username, d.cfg.Password))
		} else {
			opts = append(opts, opcua.SecurityFromEndpoint(ep, ua.UserTokenTypeAnonymous), opcua.AuthAnonymous())
		}
	} else {
		opts = append(opts,
			opcua.SecurityMode(ua.MessageSecurityModeNone),
			opcua.SecurityPolicy(ua.SecurityPolicyURINone),
			opcua.AuthAnonymous())
	}
	c, err := opcua.NewClient(d.cfg.Endpoint, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("client: %w", err)
	}
	if err := c.Connect(ctx); err != nil {
		return c, nil, fmt.Errorf("connect: %w", err)
	}
	req := &ua.ReadRequest{TimestampsToReturn: ua.TimestampsToReturnBoth}
	var nsa []string
	for _, n := range d.nodes {
		id := n.id
		if n.uri != "" {
			if nsa == nil {
				if nsa, err = c.NamespaceArray(ctx); err != nil {
					return c, nil, fmt.Errorf("read namespace array: %w", err)
				}
			}
			idx := slices.Index(nsa, n.uri)
			if idx < 0 {
				return c, nil, fmt.Errorf("namespace %q is not on the server (it has %q)", n.uri, nsa)
			}
			if id, err = ua.ParseNodeID(id.String()); err == nil { // a copy: n.id serves every connection
				err = id.SetNamespace(uint16(idx))
			}
			if err != nil {
				return c, nil, fmt.Errorf("node %s with namespace %s: %w", n.id, n.uri, err)
			}
		}
		req.NodesToRead = append(req.NodesToRead, &ua.ReadValueID{NodeID: id, AttributeID: ua.AttributeIDValue})
	}
	return c, req, nil
}

func (d *Driver) bad(err error) []devices.Reading {
	now := time.Now()
	out := make([]devices.Reading, len(d.cfg.Signals))
	for i, s := range d.cfg.Signals {
		out[i] = devices.Reading{Signal: s.Name, Quality: devices.Bad, SourceTime: now,
			Err: fmt.Errorf("device %s signal %s: %w", d.name, s.Name, err)}
	}
	return out
}

// failed drops the client and schedules the next connection attempt.
func (d *Driver) failed(err error) {
	if d.client != nil {
		c := d.client
		go func() { // closing a dead session can take a while; nobody waits for it
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = c.Close(ctx)
		}()
		d.client = nil
	}
	d.rc.Failed(err)
}

// Poll reads every signal once in one Read request.
func (d *Driver) Poll(ctx context.Context) []devices.Reading {
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	if d.client == nil {
		if wait := d.rc.Wait(); wait > 0 {
			return d.bad(fmt.Errorf("not connected to %s (retry in %v): %w", d.cfg.Endpoint, wait.Round(time.Millisecond), d.rc.LastErr()))
		}
		c, req, err := d.connect(ctx)
		if err != nil {
			d.client = c // may be nil; failed closes it
			err = fmt.Errorf("%s: %w", d.cfg.Endpoint, err)
			d.failed(err)
			return d.bad(err)
		}
		d.client, d.req = c, req
	}
	resp, err := d.client.Read(ctx, d.req)
	if err != nil {
		err = fmt.Errorf("read %s: %w", d.cfg.Endpoint, err)
		d.failed(err)
		return d.bad(err)
	}
	d.rc.OK()
	if resp == nil || len(resp.Results) != len(d.cfg.Signals) {
		n := 0
		if resp != nil {
			n = len(resp.Results)
		}
		err := fmt.Errorf("read %s: got %d results for %d nodes", d.cfg.Endpoint, n, len(d.cfg.Signals))
		d.log.Warn("opcua bad read response", "device", d.name, "err", err)
		return d.bad(err)
	}
	out := make([]devices.Reading, len(d.cfg.Signals))
	for i, s := range d.cfg.Signals {
		out[i] = d.reading(s, resp.Results[i])
	}
	return out
}

func (d *Driver) reading(s Signal, dv *ua.DataValue) devices.Reading {
	r := devices.Reading{Signal: s.Name, Quality: devices.Bad, SourceTime: time.Now()}
	if dv == nil {
		r.Err = fmt.Errorf("device %s signal %s (%s): empty result", d.name, s.Name, s.Node)
		return r
	}
	switch {
	case !dv.SourceTimestamp.IsZero() && dv.SourceTimestamp.Year() > 1601:
		r.SourceTime = dv.SourceTimestamp
	case !dv.ServerTimestamp.IsZero() && dv.ServerTimestamp.Year() > 1601:
		r.SourceTime = dv.ServerTimestamp
	}
	switch sev := uint32(dv.Status) >> 30; {
	case sev >= 2:
		r.Err = fmt.Errorf("device %s signal %s (%s): status %v", d.name, s.Name, s.Node, dv.Status)
		return r
	case sev == 1:
		r.Quality = devices.Uncertain
		r.Err = fmt.Errorf("device %s signal %s (%s): status %v", d.name, s.Name, s.Node, dv.Status)
	default:
		r.Quality = devices.Good
	}
	var raw any
	if dv.Value != nil {
		raw = dv.Value.Value()
	}
	v, ok := Convert(raw)
	if !ok {
		if d.oddType == nil {
			d.oddType = map[string]bool{}
		}
		if !d.oddType[s.Name] {
			d.oddType[s.Name] = true
			d.log.Warn("opcua value of unsupported type (logged once per signal; its readings are Bad)", "device", d.name, "signal", s.Name, "type", fmt.Sprintf("%T", raw))
		}
		r.Quality, r.Value = devices.Bad, nil
		r.Err = fmt.Errorf("device %s signal %s (%s): unsupported value type %T", d.name, s.Name, s.Node, raw)
		return r
	}
	r.Value = v
	return r
}

// Convert maps an OPC UA scalar to the Reading value types: integers to
// int64 (uint64 stays uint64), floats to float64, bool and string as is.
func Convert(v any) (any, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case int8:
		return int64(x), true
	case uint8:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int64:
		return x, true
	case uint64:
		return x, true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case string:
		return x, true
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), true
	case *ua.LocalizedText:
		if x == nil {
			return nil, false
		}
		return x.Text, true
	}
	return nil, false
}

// Close ends the session.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.client == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := d.client.Close(ctx)
	d.client = nil
	return err
}
