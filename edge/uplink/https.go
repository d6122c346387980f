package uplink

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linewise/linewise/edge/wire"
)

// HTTPSConfig configures the HTTPS batch uplink (POST /api/v1/ingest).
type HTTPSConfig struct {
	URL                string // central's base URL, e.g. https://central.plant:8443
	Token              string // the edge's bearer token
	CAFile             string // extra CA to trust for central's certificate
	InsecureSkipVerify bool   // test setups only
	EdgeID             string
	Timeout            time.Duration
	// Liveness: a heartbeat POST to /api/v1/edges/{id}/heartbeat every
	// Liveness.Heartbeat (0: none) and "offline" at Close.
	Liveness Liveness
}

// HTTPS sends each batch in one POST; central answers with the ack only
// after it has committed, so the ack arrives in the response.
type HTTPS struct {
	cfg    HTTPSConfig
	client *http.Client
	acks   chan wire.Ack
	log    *slog.Logger
	ok     atomic.Bool
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

var _ Uplink = (*HTTPS)(nil)

// NewHTTPS builds the uplink; it does not connect until the first batch.
func NewHTTPS(cfg HTTPSConfig, log *slog.Logger) (*HTTPS, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("uplink https: ca_file: %w", err)
		}
		pool, _ := x509.SystemCertPool()
		if pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("uplink https: ca_file %s: no PEM certificate in it", cfg.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	h := &HTTPS{
		cfg:    cfg,
		client: &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{TLSClientConfig: tlsCfg, MaxIdleConnsPerHost: 4}},
		acks:   make(chan wire.Ack, 64),
		log:    log,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	h.ok.Store(true)
	go h.heartbeat()
	return h, nil
}

// heartbeat says "online" at once and then every Liveness.Heartbeat.
func (h *HTTPS) heartbeat() {
	defer close(h.done)
	every := h.cfg.Liveness.Heartbeat
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), every)
		go func() { // Close cancels a heartbeat in flight
			select {
			case <-h.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		if err := h.post(ctx, h.cfg.Liveness.heartbeat(h.cfg.EdgeID, time.Now())); err != nil {
			h.log.Debug("heartbeat failed", "err", err)
		}
		cancel()
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
	}
}

// postStatus sends our status to central, authenticated by our token.
func (h *HTTPS) postStatus(ctx context.Context, st string) error {
	return h.post(ctx, h.cfg.Liveness.status(h.cfg.EdgeID, st, time.Now()))
}

func (h *HTTPS) post(ctx context.Context, status []byte) error {
	url := strings.TrimRight(h.cfg.URL, "/") + "/api/v1/edges/" + h.cfg.EdgeID + "/heartbeat"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(status))
	if err != nil {
		return fmt.Errorf("uplink https: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.cfg.Token)
	res, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("uplink https: heartbeat: %w", err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("uplink https: heartbeat: central answered %d: %s", res.StatusCode, truncate(out))
	}
	return nil
}

// Publish posts the batch and, on a 200, queues central's ack.
func (h *HTTPS) Publish(ctx context.Context, b wire.EncodedBatch) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(h.cfg.URL, "/")+"/api/v1/ingest", bytes.NewReader(b.Payload))
	if err != nil {
		return fmt.Errorf("uplink https: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.cfg.Token)
	res, err := h.client.Do(req)
	if err != nil {
		h.ok.Store(false)
		return fmt.Errorf("uplink https: %w", err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	h.ok.Store(true)
	if res.StatusCode != http.StatusOK {
		// 4xx: central refuses this edge or batch (a config problem to fix,
		// logged loudly); 5xx: central could not commit, the batch is resent.
		return fmt.Errorf("uplink https: central answered %d: %s", res.StatusCode, truncate(out))
	}
	var a wire.Ack
	if err := json.Unmarshal(out, &a); err != nil || a.EdgeID != h.cfg.EdgeID {
		return fmt.Errorf("uplink https: unreadable ack %q: %v", truncate(out), err)
	}
	select {
	case h.acks <- a:
	default:
		h.log.Warn("ack queue full, dropping ack", "from", a.From, "to", a.To)
	}
	return nil
}

// Acks delivers acknowledgements taken from responses.
func (h *HTTPS) Acks() <-chan wire.Ack { return h.acks }

// Connected is always true: HTTPS has no session to wait for. A failed
// request is an error from Publish, and the sender retries on its tick.
func (h *HTTPS) Connected() bool { return true }

// Reconnect drops idle connections: the next request opens a new one.
func (h *HTTPS) Reconnect() { h.client.CloseIdleConnections() }

// Close stops the heartbeat, tells central "offline" (bounded by a
// second) and releases idle connections.
func (h *HTTPS) Close() {
	h.once.Do(func() {
		close(h.stop)
		<-h.done
		if h.cfg.Liveness.Heartbeat > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			if err := h.postStatus(ctx, wire.StatusOffline); err != nil {
				h.log.Debug("telling central offline failed", "err", err)
			}
			cancel()
		}
	})
	h.client.CloseIdleConnections()
}
