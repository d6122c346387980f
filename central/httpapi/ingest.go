package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/ingest"
	"github.com/linewise/linewise/edge/wire"
)

// Ingester is the batch path edges use over HTTPS: the same checks, store
// and counters as over MQTT (central/ingest.Ingest implements it).
type Ingester interface {
	// Identify returns the edge a bearer token belongs to.
	Identify(token string) (edgeID string, ok bool)
	// Process checks and commits a batch; see ingest.Ingest.Process.
	Process(ctx context.Context, edge string, payload []byte) (wire.Ack, error)
	// Status takes an edge's heartbeat or status (a wire.Status) for the
	// edge its token authenticated; see edges.go.
	Status(edge string, payload []byte) error
	// Report applies events reported by hand at a station of line through
	// the same bounds, store and rules (station_report.go).
	Report(ctx context.Context, line string, b wire.Batch) error
}

func (s *Server) registerIngest(e *echo.Echo) {
	if s.opts.Ingest == nil {
		return
	}
	e.POST("/api/v1/ingest", s.ingestBatch)
}

// ingestBatch takes one wire.Batch from an edge authenticated by its bearer
// token and answers with the wire.Ack only once the batch is committed. A
// store failure is a 503 without an ack: the edge keeps the batch and
// resends, and the store deduplicates.
func (s *Server) ingestBatch(c echo.Context) error {
	token, ok := bearer(c.Request().Header.Get(echo.HeaderAuthorization))
	if !ok {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="linewise"`)
		return &Problem{Status: http.StatusUnauthorized, Detail: "an edge token is required: Authorization: Bearer <token>"}
	}
	if err := s.edgeLockedOut(c, ""); err != nil {
		return err // the address is locked out: not even the body is read
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, wire.MaxBatchBytes+1))
	if err != nil {
		return &Problem{Status: http.StatusBadRequest, Detail: "reading the request body failed"}
	}
	// The token decides who the edge is; the body's edge_id is only who
	// the request claims to be, counted when the token is wrong.
	var head struct {
		EdgeID string `json:"edge_id"`
	}
	json.Unmarshal(body, &head)
	edge, err := s.edgeToken(c, token, head.EdgeID)
	if err != nil {
		return err
	}
	if len(body) > wire.MaxBatchBytes {
		return &Problem{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("a batch may be at most %d bytes", wire.MaxBatchBytes)}
	}
	// A batch naming another edge is a permission problem, not a malformed one.
	if head.EdgeID != "" && head.EdgeID != edge {
		return &Problem{Status: http.StatusForbidden, Field: "edge_id",
			Detail: fmt.Sprintf("batch is for edge %q but the token is edge %q's", head.EdgeID, edge)}
	}
	ack, err := s.opts.Ingest.Process(c.Request().Context(), edge, body)
	switch {
	case err == nil:
		return c.JSON(http.StatusOK, ack)
	case errors.Is(err, ingest.ErrMalformed):
		return &Problem{Status: http.StatusBadRequest, Detail: ack.Error, Field: batchField(ack.Error)}
	case errors.Is(err, ingest.ErrNotAllowed):
		return &Problem{Status: http.StatusForbidden, Detail: ack.Error, Field: batchField(ack.Error)}
	case errors.Is(err, ingest.ErrStore):
		s.opts.Log.Error("ingest: storing batch failed; not acknowledged", "edge", edge, "err", err)
		c.Response().Header().Set("Retry-After", "5")
		return &Problem{Status: http.StatusServiceUnavailable, Detail: "the batch was not stored; resend it"}
	default:
		return err
	}
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// batchField pulls the field out of a wire.DecodeBatch message such as
// "batch: field v: ..." or "batch: events[2]: line: ...", for the problem's
// field member; "" when the message names none (e.g. invalid JSON).
func batchField(msg string) string {
	first, _, _ := strings.Cut(msg, "\n") // several problems: name the first
	rest, ok := strings.CutPrefix(first, "batch: ")
	if !ok {
		return ""
	}
	parts := strings.Split(strings.TrimPrefix(rest, "field "), ": ")
	if len(parts) < 2 || !fieldLike(parts[0]) {
		return ""
	}
	field := parts[0]
	if strings.HasPrefix(field, "events[") && !strings.Contains(field, ".") && len(parts) > 2 && fieldLike(parts[1]) {
		field += "." + parts[1]
	}
	return field
}

func fieldLike(s string) bool { return s != "" && !strings.ContainsAny(s, " \"'") }
