package linesim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Handler is the HTTP API: GET /truth, GET /lines/{id}/scans|qc, POST
// /lines/{id}/stop|start|changeover|power-cycle|breakdown?seconds=N&fault=C,
// POST /faults/{fault}?seconds=N[&line=L].
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /truth", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"lines": s.Truth()})
	})
	mux.HandleFunc("POST /lines/{id}/stop", s.lineOp(func(id string, _ *http.Request) (LineTruth, error) {
		return s.StopLine(id)
	}))
	mux.HandleFunc("POST /lines/{id}/start", s.lineOp(func(id string, _ *http.Request) (LineTruth, error) {
		return s.StartLine(id)
	}))
	mux.HandleFunc("POST /lines/{id}/power-cycle", s.lineOp(func(id string, _ *http.Request) (LineTruth, error) {
		return s.PowerCycle(id)
	}))
	mux.HandleFunc("POST /lines/{id}/breakdown", s.lineOp(func(id string, r *http.Request) (LineTruth, error) {
		secs, fault := 60.0, int64(99)
		var err error
		if v := r.URL.Query().Get("seconds"); v != "" {
			if secs, err = strconv.ParseFloat(v, 64); err != nil || secs <= 0 || secs > 1e7 {
				return LineTruth{}, badRequest("seconds: want a positive number, got " + strconv.Quote(v))
			}
		}
		if v := r.URL.Query().Get("fault"); v != "" {
			if fault, err = strconv.ParseInt(v, 10, 32); err != nil {
				return LineTruth{}, badRequest("fault: want an int32, got " + strconv.Quote(v))
			}
		}
		return s.Breakdown(id, time.Duration(secs*float64(time.Second)), int32(fault))
	}))
	mux.HandleFunc("POST /lines/{id}/changeover", s.lineOp(func(id string, _ *http.Request) (LineTruth, error) {
		return s.Changeover(id)
	}))
	mux.HandleFunc("GET /lines/{id}/scans", func(w http.ResponseWriter, r *http.Request) {
		sc, err := s.Scans(r.PathValue("id"))
		if err != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"scans": sc})
	})
	mux.HandleFunc("GET /lines/{id}/qc", func(w http.ResponseWriter, r *http.Request) {
		qc, err := s.QCResults(r.PathValue("id"))
		if err != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"qc": qc})
	})
	// The line faults are also reachable under /faults, next to the server
	// faults: power-cycle (no seconds) and breakdown (seconds of real time,
	// like every /faults duration; fault code optional, default 99).
	mux.HandleFunc("POST /faults/power-cycle", s.lineOp(func(_ string, r *http.Request) (LineTruth, error) {
		id := r.URL.Query().Get("line")
		if id == "" {
			return LineTruth{}, badRequest("line: required (the line id)")
		}
		return s.PowerCycle(id)
	}))
	mux.HandleFunc("POST /faults/breakdown", s.lineOp(func(_ string, r *http.Request) (LineTruth, error) {
		id := r.URL.Query().Get("line")
		if id == "" {
			return LineTruth{}, badRequest("line: required (the line id)")
		}
		secs, err := strconv.ParseFloat(r.URL.Query().Get("seconds"), 64)
		if err != nil || secs <= 0 || secs > 86400 {
			return LineTruth{}, badRequest("seconds: want a number in (0, 86400] of real time")
		}
		fault := int64(99)
		if v := r.URL.Query().Get("fault"); v != "" {
			if fault, err = strconv.ParseInt(v, 10, 32); err != nil {
				return LineTruth{}, badRequest("fault: want an int32, got " + strconv.Quote(v))
			}
		}
		return s.Breakdown(id, time.Duration(secs*s.cfg.Speed*float64(time.Second)), int32(fault))
	}))
	mux.HandleFunc("POST /faults/{fault}", func(w http.ResponseWriter, r *http.Request) {
		secs, err := strconv.ParseFloat(r.URL.Query().Get("seconds"), 64)
		if err != nil || secs <= 0 || secs > 86400 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "seconds: want a number in (0, 86400] of real time"})
			return
		}
		if err := s.Fault(r.PathValue("fault"), time.Duration(secs*float64(time.Second))); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"fault": r.PathValue("fault"), "seconds": secs})
	})
	return mux
}

type badRequest string

func (b badRequest) Error() string { return string(b) }

func (s *Sim) lineOp(f func(id string, r *http.Request) (LineTruth, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, err := f(r.PathValue("id"), r)
		var br badRequest
		switch {
		case errors.Is(err, ErrUnknownLine):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		case errors.As(err, &br):
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		case err != nil:
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		default:
			writeJSON(w, http.StatusOK, t)
		}
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
