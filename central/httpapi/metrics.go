package httpapi

import (
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// registerMetrics serves the app's registry at /metrics and adds the live
// stream's gauges to it. The registry is the app's own: nothing here is
// global, so tests can run many servers in one process.
func (s *Server) registerMetrics(e *echo.Echo) {
	reg := s.opts.Metrics
	if reg == nil {
		return
	}
	hub := s.opts.Hub
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "linewise_live_clients",
			Help: "Browsers connected to the live stream.",
		}, func() float64 { return float64(hub.Clients()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "linewise_live_clients_dropped_total",
			Help: "Live stream clients dropped for being too slow.",
		}, func() float64 { return float64(hub.Dropped()) }),
	)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
}
