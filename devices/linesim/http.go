package linesim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Handler is the HTTP API: GET /truth, POST /lines/{id}/stop|start|
// power-cycle|breakdown?seconds=N&fault=C.
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
