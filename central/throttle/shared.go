package throttle

import (
	"context"
	"log/slog"
	"time"
)

// Guard is what a caller of sign-in throttling needs: the in-memory
// Limiter (one replica) or Shared (counts kept where every replica sees
// them).
type Guard interface {
	Enabled() bool
	Blocked(keys ...Key) (retry time.Duration, key Key, blocked bool)
	Fail(keys ...Key) []Lockout
	Succeed(key Key)
}

var (
	_ Guard = (*Limiter)(nil)
	_ Guard = (*Shared)(nil)
)

// Backend keeps the counts of Shared; central's store implements it on
// PostgreSQL, so that N replicas count one budget between them. Each call
// is one transaction.
type Backend interface {
	// ThrottleLockedUntil is when key's lockout ends (zero: none).
	ThrottleLockedUntil(ctx context.Context, kind, id string) (time.Time, error)
	// ThrottleFail records a failure of key at now unless it is locked out
	// at now; failures at or before since no longer count. Once max of them
	// count, the key is locked out until until and its failures forgotten:
	// failures is how many there were and locked true (only for the call
	// that started the lockout).
	ThrottleFail(ctx context.Context, kind, id string, now, since time.Time, max int, until time.Time) (failures int, locked bool, err error)
	// ThrottleForget drops key's failures, unless it is locked out at now.
	ThrottleForget(ctx context.Context, kind, id string, now time.Time) error
}

// Shared is a Guard whose counts live in a Backend. A backend that fails
// (the database is away) is logged and counts as no lockout: the password
// check behind it needs the same database and fails too.
type Shared struct {
	cfg Config
	be  Backend
	now func() time.Time
	log *slog.Logger
}

// NewShared counts with cfg in be on clock now (nil: time.Now); log may be nil.
func NewShared(cfg Config, be Backend, now func() time.Time, log *slog.Logger) *Shared {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Shared{cfg: cfg, be: be, now: now, log: log}
}

// Enabled reports whether any limit is on.
func (s *Shared) Enabled() bool { return s != nil && s.cfg.Enabled() }

func (s *Shared) limit(k Key) int {
	if k.Kind == KindIP {
		return s.cfg.IPMaxFailures
	}
	return s.cfg.MaxFailures
}

func ctx5() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Second)
}

// Blocked is Limiter.Blocked over the backend.
func (s *Shared) Blocked(keys ...Key) (retry time.Duration, key Key, blocked bool) {
	if !s.Enabled() {
		return 0, Key{}, false
	}
	ctx, cancel := ctx5()
	defer cancel()
	now := s.now()
	for _, k := range keys {
		if s.limit(k) <= 0 || k.ID == "" {
			continue
		}
		until, err := s.be.ThrottleLockedUntil(ctx, string(k.Kind), k.ID)
		if err != nil {
			s.log.Warn("sign-in throttling: read lockout", "kind", string(k.Kind), "id", k.ID, "err", err)
			continue
		}
		if d := until.Sub(now); now.Before(until) && d > retry {
			retry, key, blocked = d, k, true
		}
	}
	return retry, key, blocked
}

// Fail is Limiter.Fail over the backend.
func (s *Shared) Fail(keys ...Key) []Lockout {
	if !s.Enabled() {
		return nil
	}
	ctx, cancel := ctx5()
	defer cancel()
	now := s.now()
	var out []Lockout
	for _, k := range keys {
		max := s.limit(k)
		if max <= 0 || k.ID == "" {
			continue
		}
		until := now.Add(s.cfg.Window)
		n, locked, err := s.be.ThrottleFail(ctx, string(k.Kind), k.ID, now, now.Add(-s.cfg.Window), max, until)
		if err != nil {
			s.log.Warn("sign-in throttling: count failure", "kind", string(k.Kind), "id", k.ID, "err", err)
			continue
		}
		if locked {
			out = append(out, Lockout{Key: k, Failures: n, Until: until, Window: s.cfg.Window})
		}
	}
	return out
}

// Succeed is Limiter.Succeed over the backend.
func (s *Shared) Succeed(key Key) {
	if !s.Enabled() || key.ID == "" {
		return
	}
	ctx, cancel := ctx5()
	defer cancel()
	if err := s.be.ThrottleForget(ctx, string(key.Kind), key.ID, s.now()); err != nil {
		s.log.Warn("sign-in throttling: forget failures", "kind", string(key.Kind), "id", key.ID, "err", err)
	}
}
