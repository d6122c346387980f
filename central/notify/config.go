package notify

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/devices/configerr"
	"github.com/linewise/linewise/edge/wire"
)

// Config is central's `notify:` section: where notices go beyond the
// in-app notification centre, and when an exception escalates.
type Config struct {
	// BaseURL is how people reach central (https://mes.plant), put before
	// a notice's link in e-mails and webhooks; empty: links stay paths.
	BaseURL string `yaml:"base_url"`
	// SMTP is the mail server for e-mail routes.
	SMTP SMTPConfig `yaml:"smtp"`
	// Webhooks are the receivers routes name.
	Webhooks []WebhookConfig `yaml:"webhooks"`
	// Routes say which notices go to which e-mail addresses and webhooks.
	Routes []Route `yaml:"routes"`
	// EscalateAfter: an exception still open (not acknowledged) this long
	// after it opened sends exception_escalated to EscalateTo; 0 turns it off.
	EscalateAfter time.Duration `yaml:"escalate_after"`
	// EscalateTo are the roles an escalation goes to (the next level).
	EscalateTo []domain.Role `yaml:"escalate_to"`
	// ExceptionRoles are the roles told when an exception opens.
	ExceptionRoles []domain.Role `yaml:"exception_roles"`
	// MaxAttempts is how many times a delivery is tried before it is
	// marked failed; RetryBackoff the wait after the first failure, doubled
	// after each next one up to RetryMaxBackoff.
	MaxAttempts     int           `yaml:"max_attempts"`
	RetryBackoff    time.Duration `yaml:"retry_backoff"`
	RetryMaxBackoff time.Duration `yaml:"retry_max_backoff"`
}

// SMTPConfig is the outgoing mail server.
type SMTPConfig struct {
	Host string `yaml:"host"` // empty: no e-mail (routes with email are refused)
	Port int    `yaml:"port"` // 587 unless set
	From string `yaml:"from"` // the sender address
	// Username and PasswordFile authenticate (PLAIN, only over TLS or to
	// localhost); the file holds the password on one line.
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	// StartTLS: "required" (default: refuse to send in clear), "auto"
	// (use it when the server offers it) or "off".
	StartTLS string        `yaml:"starttls"`
	Timeout  time.Duration `yaml:"timeout"` // per message, 10s
}

// WebhookConfig is one receiver of JSON notices, signed with HMAC-SHA256
// of the body under its secret (header X-Linewise-Signature: sha256=<hex>).
type WebhookConfig struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// SecretFile holds the shared secret (at least 16 bytes); Secret is
	// accepted for demos and tests.
	SecretFile string        `yaml:"secret_file"`
	Secret     string        `yaml:"secret"`
	Timeout    time.Duration `yaml:"timeout"` // per request, 10s
}

// Route sends matching notices to e-mail addresses and webhooks. Empty
// lists match everything.
type Route struct {
	Kinds []string `yaml:"kinds"`
	// Lines: notices about one of these lines (a notice about no line
	// matches only a route without lines).
	Lines []string `yaml:"lines"`
	// Roles: notices addressed to one of these roles.
	Roles       []domain.Role `yaml:"roles"`
	MinSeverity string        `yaml:"min_severity"` // info (default), warning, critical
	Email       []string      `yaml:"email"`
	Webhooks    []string      `yaml:"webhooks"`
}

// DefaultConfig: no e-mail or webhooks; exceptions told to supervisors,
// escalated to managers and admins after 15 minutes unacknowledged;
// deliveries tried 6 times from 30 s apart doubling up to 30 min.
func DefaultConfig() Config {
	return Config{
		SMTP:            SMTPConfig{Port: 587, StartTLS: "required", Timeout: 10 * time.Second},
		EscalateAfter:   15 * time.Minute,
		EscalateTo:      []domain.Role{domain.RoleManager, domain.RoleAdmin},
		ExceptionRoles:  []domain.Role{domain.RoleSupervisor},
		MaxAttempts:     6,
		RetryBackoff:    30 * time.Second,
		RetryMaxBackoff: 30 * time.Minute,
	}
}

var kindRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Validate reports every problem at once, each naming its key under
// notify. It reads the secret and password files.
func (c *Config) Validate() error {
	var errs []error
	f := func(key, format string, args ...any) {
		errs = append(errs, configerr.Field("notify."+key, format, args...))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f("base_url", "%q is not an http(s) URL", c.BaseURL)
		}
	}
	checkRoles := func(key string, rs []domain.Role) {
		for i, r := range rs {
			if !r.Valid() {
				f(fmt.Sprintf("%s[%d]", key, i), "%q is not a role (%s)", r, roleList())
			}
		}
	}
	if c.EscalateAfter < 0 {
		f("escalate_after", "must not be negative (0 turns escalation off)")
	} else if c.EscalateAfter > 0 && len(c.EscalateTo) == 0 {
		f("escalate_to", "at least one role is required with escalate_after")
	}
	checkRoles("escalate_to", c.EscalateTo)
	checkRoles("exception_roles", c.ExceptionRoles)
	if c.MaxAttempts < 1 || c.MaxAttempts > 100 {
		f("max_attempts", "%d must be from 1 to 100", c.MaxAttempts)
	}
	if c.RetryBackoff < time.Second {
		f("retry_backoff", "%v is too short; at least 1s", c.RetryBackoff)
	}
	if c.RetryMaxBackoff < c.RetryBackoff {
		f("retry_max_backoff", "%v must be at least retry_backoff", c.RetryMaxBackoff)
	}
	s := c.SMTP
	if s.Host != "" {
		if s.Port < 1 || s.Port > 65535 {
			f("smtp.port", "%d is not a port from 1 to 65535", s.Port)
		}
		if _, err := mail.ParseAddress(s.From); err != nil {
			f("smtp.from", "%q is not an e-mail address", s.From)
		}
		if !slices.Contains([]string{"required", "auto", "off"}, s.StartTLS) {
			f("smtp.starttls", "%q is not one of required, auto, off", s.StartTLS)
		}
		if s.Username != "" && s.PasswordFile == "" {
			f("smtp.password_file", "is required with smtp.username")
		}
		if s.PasswordFile != "" {
			if _, err := readSecret(s.PasswordFile, 1); err != nil {
				f("smtp.password_file", "%v", err)
			}
		}
		if s.Timeout <= 0 {
			f("smtp.timeout", "must be above 0")
		}
	}
	names := map[string]bool{}
	for i, w := range c.Webhooks {
		p := fmt.Sprintf("webhooks[%d]", i)
		if err := wire.ValidID(w.Name); err != nil {
			f(p+".name", "%v", err)
		} else if names[w.Name] {
			f(p+".name", "webhook %q is listed twice", w.Name)
		}
		names[w.Name] = true
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f(p+".url", "%q is not an http(s) URL", w.URL)
		}
		if _, err := w.secret(); err != nil {
			key := p + ".secret"
			if w.SecretFile != "" {
				key = p + ".secret_file"
			}
			f(key, "%v", err)
		}
		if w.Timeout < 0 {
			f(p+".timeout", "must not be negative")
		}
	}
	for i, r := range c.Routes {
		p := fmt.Sprintf("routes[%d]", i)
		for j, k := range r.Kinds {
			if !kindRe.MatchString(k) {
				f(fmt.Sprintf("%s.kinds[%d]", p, j), "%q is not a kind (lowercase letters, digits, _)", k)
			}
		}
		for j, l := range r.Lines {
			if err := wire.ValidID(l); err != nil {
				f(fmt.Sprintf("%s.lines[%d]", p, j), "%v", err)
			}
		}
		checkRoles(p+".roles", r.Roles)
		if r.MinSeverity != "" && !slices.Contains([]string{SeverityInfo, SeverityWarning, SeverityCritical}, r.MinSeverity) {
			f(p+".min_severity", "%q is not one of info, warning, critical", r.MinSeverity)
		}
		if len(r.Email) == 0 && len(r.Webhooks) == 0 {
			f(p, "names no email and no webhooks")
		}
		for j, a := range r.Email {
			if _, err := mail.ParseAddress(a); err != nil {
				f(fmt.Sprintf("%s.email[%d]", p, j), "%q is not an e-mail address", a)
			} else if s.Host == "" {
				f(fmt.Sprintf("%s.email[%d]", p, j), "needs notify.smtp.host")
			}
		}
		for j, w := range r.Webhooks {
			if !names[w] {
				f(fmt.Sprintf("%s.webhooks[%d]", p, j), "%q is not a webhook under notify.webhooks", w)
			}
		}
	}
	return errors.Join(errs...)
}

func roleList() string {
	var n []string
	for _, r := range domain.Roles() {
		n = append(n, string(r))
	}
	return strings.Join(n, ", ")
}

func (w WebhookConfig) secret() ([]byte, error) {
	switch {
	case w.Secret != "" && w.SecretFile != "":
		return nil, errors.New("set secret or secret_file, not both")
	case w.Secret != "":
		if len(w.Secret) < 16 {
			return nil, errors.New("must be at least 16 characters")
		}
		return []byte(w.Secret), nil
	case w.SecretFile != "":
		return readSecret(w.SecretFile, 16)
	}
	return nil, errors.New("secret or secret_file is required")
}

func readSecret(path string, min int) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b = []byte(strings.TrimRight(string(b), "\r\n"))
	if len(b) < min {
		return nil, fmt.Errorf("must hold at least %d bytes", min)
	}
	return b, nil
}

// targets are the deliveries the routes give a notice, each once.
func (c *Config) targets(n Notice) []Target {
	var out []Target
	seen := map[Target]bool{}
	add := func(t Target) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, r := range c.Routes {
		if !r.matches(n) {
			continue
		}
		for _, a := range r.Email {
			add(Target{Channel: ChannelEmail, To: a})
		}
		for _, w := range r.Webhooks {
			add(Target{Channel: ChannelWebhook, To: w})
		}
	}
	return out
}

func (r Route) matches(n Notice) bool {
	if len(r.Kinds) > 0 && !slices.Contains(r.Kinds, n.Kind) {
		return false
	}
	if len(r.Lines) > 0 && !slices.Contains(r.Lines, n.Line) {
		return false
	}
	if len(r.Roles) > 0 && !slices.ContainsFunc(r.Roles, func(x domain.Role) bool { return slices.Contains(n.Roles, x) }) {
		return false
	}
	return severityRank(n.Severity) >= severityRank(r.MinSeverity)
}
