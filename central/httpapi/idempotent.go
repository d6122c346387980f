package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// StationActionStore keeps the answers of station actions by client id
// (central/store/execution.go), so a repeated action is one action.
type StationActionStore interface {
	ClaimStationAction(ctx context.Context, a domain.StationAction, window time.Duration) (domain.StationAction, bool, error)
	FinishStationAction(ctx context.Context, station, clientID string, status int, body []byte) error
	ReleaseStationAction(ctx context.Context, station, clientID string) error
	GetStationAction(ctx context.Context, station, clientID string) (domain.StationAction, error)
}

// maxClientID bounds the client id a station sends.
const maxClientID = 100

// repeatWait is how long a repeat waits for the first of its kind to finish.
const repeatWait = 10 * time.Second

// rules are the execution rules in force (Options.Execution or the defaults).
func (s *Server) rules() domain.ExecutionRules {
	if s.opts.Execution != nil {
		return *s.opts.Execution
	}
	return domain.DefaultExecutionRules()
}

// stationOnce carries out a station action once: a repeat of its client
// id, or for a scan (code not empty) the same code at the same station
// within the scan repeat window (a scanner's bounce), gets the first's
// answer — success or problem — with the header Idempotent-Replayed: true,
// and changes nothing. Without a client id the server makes one, so the
// bounce window still applies. A first that failed for a reason not its
// own (an internal error) is forgotten, so a retry carries it out afresh.
func (s *Server) stationOnce(c echo.Context, kind, clientID, code string, do func() (any, error)) error {
	clientID = strings.TrimSpace(clientID)
	if len(clientID) > maxClientID {
		return invalid("client_id", "client_id must be at most 100 characters")
	}
	if clientID == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		clientID = "srv-" + hex.EncodeToString(b[:])
	}
	ctx := c.Request().Context()
	station := c.Param("id")
	window := time.Duration(0)
	if code != "" {
		window = s.rules().ScanRepeatWindow
	}
	a := domain.StationAction{Station: station, ClientID: clientID, Kind: kind, Code: code, At: s.opts.Now()}
	deadline := time.Now().Add(repeatWait)
	for {
		if time.Now().After(deadline) {
			return &Problem{Status: http.StatusConflict, Field: "client_id", Detail: "the same " + kind + " is still being carried out; try again"}
		}
		prev, claimed, err := s.opts.Store.ClaimStationAction(ctx, a, window)
		if errors.Is(err, domain.ErrConflict) {
			continue // another request claimed the same id between our read and insert: read it
		}
		if err != nil {
			return err
		}
		if claimed {
			break
		}
		for prev.Status == 0 && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			prev, err = s.opts.Store.GetStationAction(ctx, prev.Station, prev.ClientID)
			if errors.Is(err, domain.ErrNotFound) {
				break // the first failed and was forgotten: try to claim again
			}
			if err != nil {
				return err
			}
		}
		if prev.ClientID == "" || errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if prev.Status == 0 {
			return &Problem{Status: http.StatusConflict, Field: "client_id", Detail: "the same " + kind + " is still being carried out; try again"}
		}
		c.Response().Header().Set("Idempotent-Replayed", "true")
		if prev.Status >= 400 {
			p := &Problem{}
			if err := json.Unmarshal(prev.Response, p); err != nil || p.Status == 0 {
				p = &Problem{Status: prev.Status, Detail: "the same " + kind + " was refused"}
			}
			return p
		}
		return c.JSONBlob(prev.Status, prev.Response)
	}
	out, err := do()
	if err != nil {
		var p *Problem
		if errors.As(apiError(err), &p) {
			body, _ := json.Marshal(p)
			if ferr := s.opts.Store.FinishStationAction(context.WithoutCancel(ctx), station, clientID, p.Status, body); ferr != nil {
				s.opts.Log.Warn("keeping a station action's answer", "station", station, "client_id", clientID, "err", ferr)
			}
			return p
		}
		if rerr := s.opts.Store.ReleaseStationAction(context.WithoutCancel(ctx), station, clientID); rerr != nil {
			s.opts.Log.Warn("forgetting a failed station action", "station", station, "client_id", clientID, "err", rerr)
		}
		return err
	}
	body, err := json.Marshal(out)
	if err != nil {
		return err
	}
	if err := s.opts.Store.FinishStationAction(context.WithoutCancel(ctx), station, clientID, http.StatusOK, body); err != nil {
		// Done and committed: answer it; only its repeats lose the replay.
		s.opts.Log.Warn("keeping a station action's answer", "station", station, "client_id", clientID, "err", err)
	}
	return c.JSONBlob(http.StatusOK, body)
}
