package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Ingest is a prometheus.Collector: the app registers it in its own
// registry (there are no global metrics), and every scrape reads the same
// totals Stats returns.
var _ prometheus.Collector = (*Ingest)(nil)

var (
	descReceived    = prometheus.NewDesc("linewise_ingest_batches_received_total", "Batches received from edges (MQTT and HTTPS).", nil, nil)
	descApplied     = prometheus.NewDesc("linewise_ingest_events_applied_total", "Events newly stored.", nil, nil)
	descDuplicates  = prometheus.NewDesc("linewise_ingest_events_duplicate_total", "Events received again and skipped (already stored).", nil, nil)
	descMalformed   = prometheus.NewDesc("linewise_ingest_batches_malformed_total", "Batches refused as malformed.", nil, nil)
	descRefused     = prometheus.NewDesc("linewise_ingest_batches_refused_total", "Batches refused as not allowed for their edge (unknown edge or line).", nil, nil)
	descRejected    = prometheus.NewDesc("linewise_ingest_events_rejected_total", "Single events refused (invalid, absurd timestamp, a line the edge does not own); the rest of their batch was applied.", nil, nil)
	descQuarantined = prometheus.NewDesc("linewise_ingest_events_quarantined_total", "Refused events newly kept in quarantine (GET /api/v1/quarantine); each raised or repeated its line's quarantined_event exception.", nil, nil)
	descStoreErrors = prometheus.NewDesc("linewise_ingest_store_errors_total", "Batches not acknowledged because the store failed.", nil, nil)
	descLastSeq     = prometheus.NewDesc("linewise_ingest_edge_last_seq", "Highest event sequence number committed per edge since start.", []string{"edge"}, nil)
)

// Describe implements prometheus.Collector.
func (in *Ingest) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descReceived, descApplied, descDuplicates, descMalformed, descRefused, descRejected, descQuarantined, descStoreErrors, descLastSeq} {
		ch <- d
	}
	in.latency.Describe(ch)
}

// Collect implements prometheus.Collector.
func (in *Ingest) Collect(ch chan<- prometheus.Metric) {
	st := in.Stats()
	for _, c := range []struct {
		d *prometheus.Desc
		v int64
	}{
		{descReceived, st.Received}, {descApplied, st.Applied}, {descDuplicates, st.Duplicates},
		{descMalformed, st.Malformed}, {descRefused, st.Refused}, {descRejected, st.Rejected}, {descQuarantined, st.Quarantined}, {descStoreErrors, st.StoreErrors},
	} {
		ch <- prometheus.MustNewConstMetric(c.d, prometheus.CounterValue, float64(c.v))
	}
	in.latency.Collect(ch)
	in.seqMu.Lock()
	defer in.seqMu.Unlock()
	for edge, seq := range in.lastSeq {
		ch <- prometheus.MustNewConstMetric(descLastSeq, prometheus.GaugeValue, float64(seq), edge)
	}
}
