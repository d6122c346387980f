package agent

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics exposes the agent's counters on /metrics. Each agent has its own
// registry (no package-level state), so several agents can run in one process.
func (a *Agent) metrics() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	labels := prometheus.Labels{"edge": a.cfg.EdgeID, "line": a.cfg.Line}
	counter := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, f))
	}
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, f))
	}
	counter("linewise_edge_readings_total", "Readings taken from devices.", func() float64 { return float64(a.stats.Readings.Load()) })
	counter("linewise_edge_bad_readings_total", "Readings with bad or uncertain quality.", func() float64 { return float64(a.stats.BadReadings.Load()) })
	counter("linewise_edge_events_total", "Events written to the outbox.", func() float64 { return float64(a.stats.Events.Load()) })
	counter("linewise_edge_batches_sent_total", "Batches handed to the uplink.", func() float64 { return float64(a.stats.Batches.Load()) })
	counter("linewise_edge_events_acked_total", "Events central acknowledged as committed.", func() float64 { return float64(a.stats.Acked.Load()) })
	counter("linewise_edge_resends_total", "Times unacknowledged events were sent again.", func() float64 { return float64(a.stats.Resends.Load()) })
	counter("linewise_edge_events_rejected_total", "Events central refused, moved to the dead-letter table.", func() float64 { return float64(a.stats.Rejected.Load()) })
	counter("linewise_edge_uplink_stalls_total", "Times the uplink was up but made no ack progress for central.stall_after ack timeouts with events waiting, and was reconnected.", func() float64 { return float64(a.stats.Stalls.Load()) })
	gauge("linewise_edge_uplink_stalled", "1 from a stall until central's acks make progress again (/healthz says degraded).", func() float64 {
		if a.stalled.Load() {
			return 1
		}
		return 0
	})
	counter("linewise_edge_counts_flagged_total", "Count events sent flagged as impossible (above the ceiling or max_rate × elapsed); central quarantines them and counts nothing.",
		func() float64 {
			if a.proc == nil {
				return 0
			}
			return float64(a.proc.flagged.Load())
		})
	gauge("linewise_edge_outbox_depth", "Events not yet committed by central.", func() float64 { return float64(a.ob.Depth()) })
	gauge("linewise_edge_outbox_capacity", "Outbox cap (max_events).", func() float64 { return float64(a.cfg.Outbox.MaxEvents) })
	gauge("linewise_edge_uplink_connected", "1 while the uplink to central is connected.", func() float64 {
		if a.Connected() {
			return 1
		}
		return 0
	})
	if t := a.tel; t != nil {
		counter("linewise_edge_telemetry_points_queued_total", "Telemetry points (readings, line rates) queued for InfluxDB.", func() float64 { return float64(t.Stats.Queued.Load()) })
		counter("linewise_edge_telemetry_points_written_total", "Telemetry points InfluxDB accepted.", func() float64 { return float64(t.Stats.Written.Load()) })
		counter("linewise_edge_telemetry_points_dropped_total", "Telemetry points dropped, oldest first, because the buffer (max_buffer) was full; counting is never affected.", func() float64 { return float64(t.Stats.Dropped.Load()) })
		counter("linewise_edge_telemetry_write_failures_total", "Failed InfluxDB writes (or database creations); each is retried with backoff, its points kept.", func() float64 { return float64(t.Stats.Failed.Load()) })
		gauge("linewise_edge_telemetry_buffer_points", "Telemetry points waiting to be written.", func() float64 { return float64(t.Buffered()) })
	}
	perDevice := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "linewise_edge_device_good", Help: "1 if the device's last reading was good quality.", ConstLabels: labels}, []string{"device"})
	reg.MustRegister(deviceCollector{a: a, desc: perDevice})
	return reg
}

// deviceCollector reports per-device quality at scrape time.
type deviceCollector struct {
	a    *Agent
	desc *prometheus.GaugeVec
}

func (d deviceCollector) Describe(ch chan<- *prometheus.Desc) { d.desc.Describe(ch) }

func (d deviceCollector) Collect(ch chan<- prometheus.Metric) {
	d.a.devMu.Lock()
	defer d.a.devMu.Unlock()
	d.desc.Reset()
	for name, h := range d.a.devQ {
		v := 0.0
		if h.Quality == "good" {
			v = 1
		}
		d.desc.WithLabelValues(name).Set(v)
	}
	d.desc.Collect(ch)
}
