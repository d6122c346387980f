// Package telemetry writes raw readings and line rates to InfluxDB (v2 write
// API; InfluxDB 1.8 with its v2 compatibility endpoints works too). It is a
// side channel: it must never block or slow counting. Points wait in a
// bounded queue; when InfluxDB is down or slow the oldest are dropped and
// counted, never the agent's events (those go through the outbox).
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	"github.com/influxdata/influxdb-client-go/v2/api/write"
	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/configerr"
)

// Config is the telemetry section of the agent's configuration.
type Config struct {
	URL           string        `yaml:"url"`            // http://host:8086
	Token         string        `yaml:"token"`          // v2 token; for InfluxDB 1.8 "user:password" or empty
	Org           string        `yaml:"org"`            // ignored by InfluxDB 1.8
	Bucket        string        `yaml:"bucket"`         // v2 bucket; for 1.8 "database/retention-policy"
	BatchSize     int           `yaml:"batch_size"`     // points per write
	FlushInterval time.Duration `yaml:"flush_interval"` // longest a point waits for its batch
	MaxBuffer     int           `yaml:"max_buffer"`     // queue bound; beyond it the oldest points are dropped
	RateInterval  time.Duration `yaml:"rate_interval"`  // how often line rates are written
	// CreateBucket lets the writer create the database (1.x: CREATE
	// DATABASE) or bucket (2.x: buckets API) when it is missing. Off, a
	// missing one makes every write fail (logged, counted, retried).
	CreateBucket bool `yaml:"create_bucket"`
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.BatchSize == 0 {
		c.BatchSize = 1000
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = time.Second
	}
	if c.MaxBuffer == 0 {
		c.MaxBuffer = 100_000
	}
	if c.RateInterval == 0 {
		c.RateInterval = 10 * time.Second
	}
}

// Validate reports every problem with the key that has it.
func (c *Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.URL); c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, configerr.Field("url", "%q is not an http(s)://host:port URL", c.URL))
	}
	if c.Bucket == "" {
		errs = append(errs, configerr.Field("bucket", "missing (for InfluxDB 1.8: database/retention-policy, e.g. linewise/autogen)"))
	}
	if c.BatchSize < 1 || c.BatchSize > 50_000 {
		errs = append(errs, configerr.Field("batch_size", "%d is outside 1..50000", c.BatchSize))
	}
	if c.FlushInterval < 10*time.Millisecond {
		errs = append(errs, configerr.Field("flush_interval", "%s is below 10ms", c.FlushInterval))
	}
	if c.MaxBuffer < c.BatchSize {
		errs = append(errs, configerr.Field("max_buffer", "%d is below batch_size %d", c.MaxBuffer, c.BatchSize))
	}
	if c.RateInterval < time.Second {
		errs = append(errs, configerr.Field("rate_interval", "%s is below 1s", c.RateInterval))
	}
	return errors.Join(errs...)
}

// Stats are the writer's running totals. Failed counts failed write
// attempts (each is retried with backoff; its points stay queued).
type Stats struct {
	Queued, Written, Dropped, Failed atomic.Int64
}

// Buffered is how many points wait to be written.
func (w *Writer) Buffered() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

// Writer queues points and writes them in batches from its own goroutine.
type Writer struct {
	cfg   Config
	tags  map[string]string
	log   *slog.Logger
	cli   influxdb2.Client
	api   api.WriteAPIBlocking
	Stats Stats

	mu    sync.Mutex
	queue []*write.Point // oldest first
	wake  chan struct{}

	rateMu sync.Mutex
	window []partsAt // count events of the last minute

	done chan struct{}
	stop context.CancelFunc
}

type partsAt struct {
	at           time.Time
	good, reject int64
}

// New builds a writer; nothing is sent until Start.
func New(cfg Config, edgeID, line string, log *slog.Logger) *Writer {
	cfg.Defaults()
	opts := influxdb2.DefaultOptions().SetHTTPRequestTimeout(10).SetPrecision(time.Nanosecond)
	cli := influxdb2.NewClientWithOptions(cfg.URL, cfg.Token, opts)
	return &Writer{
		cfg:  cfg,
		tags: map[string]string{"edge": edgeID, "line": line},
		log:  log,
		cli:  cli,
		api:  cli.WriteAPIBlocking(cfg.Org, cfg.Bucket),
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
}

// Reading queues a raw reading of device. It never blocks.
func (w *Writer) Reading(device string, r devices.Reading) {
	tags := map[string]string{"edge": w.tags["edge"], "line": w.tags["line"], "device": device, "signal": r.Signal, "quality": r.Quality.String()}
	fields := map[string]any{"quality_code": int64(r.Quality)}
	switch v := r.Value.(type) {
	case int64:
		fields["value"] = float64(v)
	case uint64:
		fields["value"] = float64(v)
	case float64:
		fields["value"] = v
	case bool:
		if v {
			fields["value"] = 1.0
		} else {
			fields["value"] = 0.0
		}
	case string:
		fields["text"] = v
	}
	at := r.SourceTime
	if at.IsZero() {
		at = time.Now()
	}
	w.push(influxdb2.NewPoint("reading", tags, fields, at))
}

// Parts records parts counted on the line, for the rate points.
func (w *Writer) Parts(at time.Time, good, reject int64) {
	w.rateMu.Lock()
	w.window = append(w.window, partsAt{at: at, good: good, reject: reject})
	w.rateMu.Unlock()
}

func (w *Writer) push(p *write.Point) {
	w.mu.Lock()
	if len(w.queue) >= w.cfg.MaxBuffer {
		drop := len(w.queue) - w.cfg.MaxBuffer + 1
		w.queue = append(w.queue[:0], w.queue[drop:]...)
		if w.Stats.Dropped.Add(int64(drop)) == int64(drop) {
			w.log.Warn("telemetry buffer full: dropping the oldest points (counting is not affected)", "max_buffer", w.cfg.MaxBuffer)
		}
	}
	w.queue = append(w.queue, p)
	n := len(w.queue)
	w.mu.Unlock()
	w.Stats.Queued.Add(1)
	if n >= w.cfg.BatchSize {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// Start runs the writer until Stop.
func (w *Writer) Start(ctx context.Context) {
	ctx, w.stop = context.WithCancel(context.WithoutCancel(ctx))
	go w.run(ctx)
}

func (w *Writer) run(ctx context.Context) {
	defer close(w.done)
	flush := time.NewTicker(w.cfg.FlushInterval)
	defer flush.Stop()
	rates := time.NewTicker(w.cfg.RateInterval)
	defer rates.Stop()
	backoff := time.Duration(0)
	ensured := !w.cfg.CreateBucket // true: nothing to create, or created
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-flush.C:
		case now := <-rates.C:
			w.ratePoint(now)
		}
		if backoff > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
		}
		err := error(nil)
		if !ensured {
			if err = w.ensureBucket(ctx); err == nil {
				ensured = true
				w.log.Info("telemetry database/bucket ready (created if it was missing)", "url", w.cfg.URL, "bucket", w.cfg.Bucket)
			}
		}
		if err == nil {
			err = w.flushOnce(ctx)
		}
		if err != nil {
			w.Stats.Failed.Add(1)
			backoff = min(max(2*backoff, 500*time.Millisecond), 30*time.Second)
			ensured = !w.cfg.CreateBucket // it may have been dropped
			if !failing {
				failing = true
				w.log.Warn("telemetry writes failing; retrying with backoff, oldest points dropped when the buffer is full (logged again when writes work)",
					"url", w.cfg.URL, "bucket", w.cfg.Bucket, "create_bucket", w.cfg.CreateBucket, "err", err)
			} else {
				w.log.Debug("telemetry write failed", "retry_in", backoff, "err", err)
			}
			continue
		}
		if failing {
			failing = false
			w.log.Info("telemetry writes work again", "url", w.cfg.URL, "bucket", w.cfg.Bucket)
		}
		backoff = 0
	}
}

// flushOnce writes queued points in batches; a failed batch stays queued.
func (w *Writer) flushOnce(ctx context.Context) error {
	for {
		w.mu.Lock()
		n := min(len(w.queue), w.cfg.BatchSize)
		batch := append([]*write.Point(nil), w.queue[:n]...)
		w.mu.Unlock()
		if n == 0 {
			return nil
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := w.api.WritePoint(wctx, batch...)
		cancel()
		if err != nil {
			return err
		}
		w.mu.Lock()
		// Points dropped meanwhile came off the front; remove what was written.
		head := 0
		for head < len(w.queue) && head < n && w.queue[head] == batch[head] {
			head++
		}
		if head < n { // the front moved: find the batch's last point
			for i, p := range w.queue {
				if p == batch[n-1] {
					head = i + 1
					break
				}
			}
		}
		w.queue = append(w.queue[:0], w.queue[head:]...)
		w.mu.Unlock()
		w.Stats.Written.Add(int64(n))
		if n < w.cfg.BatchSize {
			return nil
		}
	}
}

func (w *Writer) ratePoint(now time.Time) {
	w.rateMu.Lock()
	cut := now.Add(-time.Minute)
	i := 0
	for i < len(w.window) && w.window[i].at.Before(cut) {
		i++
	}
	w.window = append(w.window[:0], w.window[i:]...)
	var good, reject int64
	for _, p := range w.window {
		good += p.good
		reject += p.reject
	}
	w.rateMu.Unlock()
	w.push(influxdb2.NewPoint("line_rate", w.tags, map[string]any{"good_per_min": good, "reject_per_min": reject}, now))
}

// Stop flushes what it can within ctx, then closes the client.
func (w *Writer) Stop(ctx context.Context) error {
	if w.stop != nil {
		w.stop()
		select {
		case <-w.done:
		case <-ctx.Done():
		}
	}
	err := w.flushOnce(ctx)
	w.cli.Close()
	if err != nil {
		w.mu.Lock()
		left := len(w.queue)
		w.mu.Unlock()
		return fmt.Errorf("telemetry: %d points not written: %w", left, err)
	}
	return nil
}
