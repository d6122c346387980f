package ingest

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
)

// Edge is one edge allowed to deliver batches: its id (also its MQTT
// username), the SHA-256 of its token (never the token itself), and the
// lines it may report.
type Edge struct {
	ID          string
	TokenSHA256 [sha256.Size]byte
	Lines       []string
}

// Edges is the set of known edges. A nil or empty *Edges means
// authentication is off: every edge and line is accepted. It is read-only
// once built and safe for concurrent use.
type Edges struct {
	byID map[string]Edge
}

// NewEdges indexes edges by id; ids are assumed validated and unique.
func NewEdges(list []Edge) *Edges {
	e := &Edges{byID: make(map[string]Edge, len(list))}
	for _, ed := range list {
		e.byID[ed.ID] = ed
	}
	return e
}

// ErrNotAllowed marks a batch refused for who sent it or what it reports,
// as opposed to how it is written (ErrMalformed).
var ErrNotAllowed = errors.New("not allowed")

// Enabled reports whether edges must authenticate.
func (e *Edges) Enabled() bool { return e != nil && len(e.byID) > 0 }

// AuthenticateEdge reports whether token is edge id's token.
func (e *Edges) AuthenticateEdge(id string, token []byte) bool {
	if !e.Enabled() {
		return false
	}
	ed, ok := e.byID[id]
	sum := sha256.Sum256(token)
	// Compare even for an unknown id, so timing does not tell ids apart.
	match := subtle.ConstantTimeCompare(sum[:], ed.TokenSHA256[:]) == 1
	return ok && match
}

// Identify returns the edge whose token this is (HTTPS bearer tokens carry
// no user name). Config validation keeps tokens distinct.
func (e *Edges) Identify(token string) (string, bool) {
	if !e.Enabled() || token == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(token))
	found := ""
	for id, ed := range e.byID {
		if subtle.ConstantTimeCompare(sum[:], ed.TokenSHA256[:]) == 1 {
			found = id
		}
	}
	return found, found != ""
}

// Allow checks that edge is a known edge and returns which lines it may
// report for (nil: any, authentication is off). The error wraps
// ErrNotAllowed. Events for other lines are refused one by one.
func (e *Edges) Allow(edge string) (func(line string) bool, error) {
	if !e.Enabled() {
		return nil, nil
	}
	ed, ok := e.byID[edge]
	if !ok {
		return nil, fmt.Errorf("batch: field edge_id: edge %q is not configured: %w", edge, ErrNotAllowed)
	}
	return func(line string) bool { return slices.Contains(ed.Lines, line) }, nil
}

// Identify returns the edge a token belongs to, for HTTPS ingest.
func (in *Ingest) Identify(token string) (string, bool) { return in.cfg.Edges.Identify(token) }

// Known reports whether id is a configured edge.
func (e *Edges) Known(id string) bool {
	if !e.Enabled() {
		return false
	}
	_, ok := e.byID[id]
	return ok
}
