package domain

import (
	"encoding/json"
	"time"
)

// AuditEntry records one change: who, when, to what, and the state before
// and after (JSON; null for creation and deletion).
type AuditEntry struct {
	ID       string          `json:"id"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Role     Role            `json:"role"`
	Entity   string          `json:"entity"` // "order", "work_order", "user", "api_token"
	EntityID string          `json:"entity_id"`
	Action   string          `json:"action"`
	Reason   string          `json:"reason,omitempty"`
	Before   json.RawMessage `json:"before"`
	After    json.RawMessage `json:"after"`
}

// AuditFilter narrows an audit query; zero values do not filter.
type AuditFilter struct {
	Entity   string
	EntityID string
	Actor    string
	From, To *time.Time // [From, To)
	Limit    int
}
