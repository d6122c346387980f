// Package notify tells people what needs them: an exception opened or
// escalated, an approval waiting, a report ready. A notice is stored once
// (its Key makes a repeat a no-op, also across replicas), appears in the
// in-app notification centre of every user of its roles, and is delivered
// by e-mail and signed webhook to the targets central's `notify:` config
// routes it to. Any package that has a Notifier sends one with Notify;
// delivery happens after the notice is stored, with retries, and never
// blocks or fails the caller's own change.
//
// It must never hold a secret in the database (webhook secrets and the
// SMTP password stay in the config's files) and never send the same
// delivery twice on purpose (each is claimed with a lease before sending).
package notify

import (
	"context"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// Kinds of notice central sends itself; other packages may add their own
// (a kind is a lowercase word with underscores).
const (
	KindExceptionOpened    = "exception_opened"
	KindExceptionEscalated = "exception_escalated"
	KindApprovalWaiting    = "approval_waiting"
	KindReportReady        = "report_ready"
)

// Severities, lowest first.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// severityRank orders severities for a route's min_severity.
func severityRank(s string) int {
	switch s {
	case SeverityCritical:
		return 2
	case SeverityWarning:
		return 1
	}
	return 0
}

// Notice is one thing to tell people.
type Notice struct {
	// Key makes the notice idempotent: a second Notify with the same key
	// does nothing (e.g. "exception:<id>:opened"). Empty: a fresh one.
	Key      string `json:"key,omitempty"`
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	// TitleKey and Vars name a message of the i18n catalogue
	// ("notify.exception_opened" with {"line": "L1", ...}), which pages
	// show in the reader's language; Title is the English text, used where
	// the key is unknown and in e-mails and webhooks.
	TitleKey string            `json:"title_key,omitempty"`
	Vars     map[string]string `json:"vars,omitempty"`
	Title    string            `json:"title"`
	Body     string            `json:"body,omitempty"` // more detail, plain text
	Link     string            `json:"link,omitempty"` // a path in central, e.g. /orders/PO-1
	Line     string            `json:"line,omitempty"`
	// Roles and Users are who sees it in the app: every enabled user of
	// these roles, and these users. Routes in the config add e-mail and
	// webhook delivery by kind, role, line and severity.
	Roles []domain.Role `json:"roles,omitempty"`
	Users []string      `json:"users,omitempty"`
	At    time.Time     `json:"at"`
}

// Notifier is what other packages call. Notify stores the notice and
// queues its deliveries; it returns an error only when the notice could
// not be stored (a caller usually logs it and goes on).
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// Nop is a Notifier that drops every notice (tests, tools).
type Nop struct{}

// Notify does nothing.
func (Nop) Notify(context.Context, Notice) error { return nil }

// Notification is one notice as a user sees it.
type Notification struct {
	ID       string            `json:"id"`
	Kind     string            `json:"kind"`
	Severity string            `json:"severity"`
	TitleKey string            `json:"title_key,omitempty"`
	Vars     map[string]string `json:"vars,omitempty"`
	Title    string            `json:"title"`
	Body     string            `json:"body,omitempty"`
	Link     string            `json:"link,omitempty"`
	Line     string            `json:"line,omitempty"`
	At       time.Time         `json:"at"`
	ReadAt   *time.Time        `json:"read_at,omitempty"`
}

// Page is a user's notifications, newest first, and their unread count.
type Page struct {
	Items  []Notification `json:"items"`
	Unread int            `json:"unread"`
	// Next is the cursor of the next page, "" on the last one.
	Next string `json:"next,omitempty"`
}

// Filter selects a user's notifications.
type Filter struct {
	User       string
	UnreadOnly bool
	Limit      int
	Cursor     string // an opaque position from Page.Next
}

// Target is one delivery of a notice: an e-mail address or a webhook (by
// its name in the config).
type Target struct {
	Channel string `json:"channel"` // "email" or "webhook"
	To      string `json:"to"`
}

// Channels.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// Delivery is a queued or finished delivery, with its notice.
type Delivery struct {
	ID       string     `json:"id"`
	NoticeID string     `json:"notice_id"`
	Target   Target     `json:"target"`
	Status   string     `json:"status"` // pending, sent, failed
	Attempts int        `json:"attempts"`
	NextAt   time.Time  `json:"next_at"`
	LastErr  string     `json:"last_error,omitempty"`
	SentAt   *time.Time `json:"sent_at,omitempty"`
	Notice   Notice     `json:"notice"`
	// Log is every attempt, oldest first (ListDeliveries only).
	Log []Attempt `json:"log,omitempty"`
}

// Delivery statuses.
const (
	StatusPending = "pending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
)

// Attempt is one try of a delivery, for the delivery log.
type Attempt struct {
	DeliveryID string    `json:"delivery_id"`
	At         time.Time `json:"at"`
	OK         bool      `json:"ok"`
	Detail     string    `json:"detail"` // HTTP status or SMTP reply, or the error
}

// Store keeps notices, notifications and deliveries (store/notifications
// implements it on SQLite and PostgreSQL).
type Store interface {
	// AddNotice stores n with its in-app recipients and its deliveries, in
	// one transaction; false when a notice with n.Key exists already.
	AddNotice(ctx context.Context, n Notice, targets []Target) (bool, error)
	// ClaimDeliveries leases up to limit pending deliveries due at now for
	// lease, so another replica does not send them at the same time.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// FinishDelivery records an attempt: sent, or failed with the next try
	// at next (zero: given up).
	FinishDelivery(ctx context.Context, id string, a Attempt, next time.Time) error
	ListNotifications(ctx context.Context, f Filter) (Page, error)
	MarkRead(ctx context.Context, user, id string, actor domain.Actor) (Notification, error)
	MarkAllRead(ctx context.Context, user string, actor domain.Actor) (int, error)
	// ListDeliveries is the delivery log, newest first.
	ListDeliveries(ctx context.Context, limit int) ([]Delivery, error)
}
