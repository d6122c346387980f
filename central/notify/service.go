package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Options build a Service. Config (validated) and Store are required.
type Options struct {
	Config Config
	Store  Store
	Log    *slog.Logger
	Now    func() time.Time
	// HTTP sends webhooks; default a client without redirects.
	HTTP *http.Client
	// Exceptions, when set, is watched for exceptions opening and staying
	// open past escalate_after (watch.go).
	Exceptions ExceptionSource
	// Watchers are asked each round for notices about things that wait
	// (an order under review, a proposal to approve); each notice's Key
	// makes it once.
	Watchers []Watcher
	// Added is called (it must not block) after a notice was stored, e.g.
	// to push the bell's count.
	Added func()
	// Enclose, when set, gives what a notice's e-mails and webhooks carry
	// besides its text (a stored report's summary and files); it is asked
	// at each sending, and its error fails the attempt (retried).
	Enclose func(ctx context.Context, n Notice) (Enclosure, error)
	// Tick is how often due deliveries and exceptions are looked at
	// without a poke; default 2s.
	Tick time.Duration
}

// Service stores notices and delivers them. It implements Notifier.
type Service struct {
	cfg     Config
	st      Store
	log     *slog.Logger
	now     func() time.Time
	http    *http.Client
	exc     ExceptionSource
	watch   []Watcher
	added   func()
	enclose func(ctx context.Context, n Notice) (Enclosure, error)
	tick    time.Duration
	secrets map[string][]byte // webhook name → secret
	smtpPW  string
	poke    chan struct{}

	mu       sync.Mutex
	notified map[string]bool // notice keys this replica stored or found stored
}

var _ Notifier = (*Service)(nil)

// New reads the secrets the config names; it sends nothing until Run.
func New(o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("notify: a store is required")
	}
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Added == nil {
		o.Added = func() {}
	}
	if o.Tick <= 0 {
		o.Tick = 2 * time.Second
	}
	s := &Service{cfg: o.Config, st: o.Store, log: o.Log, now: o.Now, http: o.HTTP, exc: o.Exceptions, watch: o.Watchers, added: o.Added,
		enclose: o.Enclose, tick: o.Tick, secrets: map[string][]byte{}, poke: make(chan struct{}, 1), notified: map[string]bool{}}
	for _, w := range o.Config.Webhooks {
		b, err := w.secret()
		if err != nil {
			return nil, fmt.Errorf("notify: webhook %s: %w", w.Name, err)
		}
		s.secrets[w.Name] = b
	}
	if f := o.Config.SMTP.PasswordFile; f != "" {
		b, err := readSecret(f, 1)
		if err != nil {
			return nil, fmt.Errorf("notify: smtp.password_file: %w", err)
		}
		s.smtpPW = string(b)
	}
	return s, nil
}

// Limits of a notice's text, so a caller's mistake cannot flood a page.
const (
	maxTitle = 500
	maxBody  = 4000
)

// Notify stores the notice for its users and queues its deliveries.
func (s *Service) Notify(ctx context.Context, n Notice) error {
	if !kindRe.MatchString(n.Kind) {
		return fmt.Errorf("notify: kind %q is not a kind", n.Kind)
	}
	if n.Severity == "" {
		n.Severity = SeverityInfo
	}
	if !slices.Contains([]string{SeverityInfo, SeverityWarning, SeverityCritical}, n.Severity) {
		return fmt.Errorf("notify: severity %q is not info, warning or critical", n.Severity)
	}
	if strings.TrimSpace(n.Title) == "" {
		return errors.New("notify: a title is required")
	}
	n.Title, n.Body = clip(n.Title, maxTitle), clip(n.Body, maxBody)
	if n.Link != "" && !strings.HasPrefix(n.Link, "/") {
		return fmt.Errorf("notify: link %q must be a path in central", n.Link)
	}
	if n.At.IsZero() {
		n.At = s.now()
	}
	if n.Key != "" && s.seen(n.Key) {
		return nil
	}
	added, err := s.st.AddNotice(ctx, n, s.cfg.targets(n))
	if err != nil {
		return fmt.Errorf("notify: %s: %w", n.Kind, err)
	}
	if n.Key != "" {
		s.mu.Lock()
		s.notified[n.Key] = true
		s.mu.Unlock()
	}
	if added {
		s.log.Info("notice", "kind", n.Kind, "line", n.Line, "title", n.Title)
		s.added()
		s.Poke()
	}
	return nil
}

func (s *Service) seen(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notified[key]
}

func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "�")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Poke makes the loop look for due deliveries and exceptions now; it never blocks.
func (s *Service) Poke() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// Run delivers due notices and watches exceptions until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.tick)
	defer t.Stop()
	for {
		s.Step(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.poke:
		}
	}
}

// Step does one round: watch exceptions, then send the deliveries due.
func (s *Service) Step(ctx context.Context) {
	if s.exc != nil {
		if err := s.watchExceptions(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("watch exceptions", "err", err)
		}
	}
	for _, w := range s.watch {
		ns, err := w(ctx, s.now())
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("watcher", "err", err)
			}
			continue
		}
		for _, n := range ns {
			if err := s.Notify(ctx, n); err != nil {
				s.log.Warn("watcher notice", "kind", n.Kind, "err", err)
			}
		}
	}
	for ctx.Err() == nil {
		ds, err := s.st.ClaimDeliveries(ctx, s.now(), 2*time.Minute, 20)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("claim deliveries", "err", err)
			}
			return
		}
		if len(ds) == 0 {
			return
		}
		for _, d := range ds {
			s.deliver(ctx, d)
		}
	}
}

func (s *Service) deliver(ctx context.Context, d Delivery) {
	var detail string
	var err error
	switch d.Target.Channel {
	case ChannelEmail:
		detail, err = s.sendMail(ctx, d)
	case ChannelWebhook:
		detail, err = s.sendWebhook(ctx, d)
	default:
		err = fmt.Errorf("unknown channel %q", d.Target.Channel)
	}
	a := Attempt{DeliveryID: d.ID, At: s.now(), OK: err == nil, Detail: detail}
	var next time.Time
	if err != nil {
		a.Detail = clip(err.Error(), 1000)
		if d.Attempts+1 < s.cfg.MaxAttempts {
			next = a.At.Add(s.backoff(d.Attempts + 1))
		}
		s.log.Warn("delivery failed", "channel", d.Target.Channel, "to", d.Target.To, "attempt", d.Attempts+1, "err", err, "retry", !next.IsZero())
	}
	if err := s.st.FinishDelivery(context.WithoutCancel(ctx), d.ID, a, next); err != nil {
		s.log.Warn("record delivery", "id", d.ID, "err", err)
	}
}

// backoff is the wait after the n-th failed attempt: retry_backoff doubled
// n-1 times, at most retry_max_backoff.
func (s *Service) backoff(n int) time.Duration {
	d := s.cfg.RetryBackoff
	for i := 1; i < n && d < s.cfg.RetryMaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.cfg.RetryMaxBackoff)
}

// link is the notice's link as an absolute URL when base_url is set.
func (s *Service) link(n Notice) string {
	if n.Link == "" || s.cfg.BaseURL == "" {
		return n.Link
	}
	return strings.TrimRight(s.cfg.BaseURL, "/") + n.Link
}
