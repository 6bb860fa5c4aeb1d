package main

import (
	"log/slog"
	"net/http"

	"github.com/entralifecycle/engine/internal/config"
	"github.com/entralifecycle/engine/internal/metrics"
)

// graphTransport is the HTTP transport under the Graph client: the metrics RoundTripper when
// metrics are served, nil (a pooledTransport) otherwise. startMetrics sets it.
var graphTransport http.RoundTripper

// startMetrics serves Prometheus metrics at LIFECYCLE_METRICS_ADDR (default 127.0.0.1:9464)
// /metrics: the Temporal SDK's worker metrics, Graph requests, the Graph write budget, audit
// records, HR snapshot reads and reconciliation drift (run sets the activities' Observer). Metrics are
// not worth stopping the worker for: a taken port is a warning and the worker runs without
// them. The returned function stops the server; a nil *metrics.Metrics records nothing.
func startMetrics(logger *slog.Logger) (*metrics.Metrics, func(), error) {
	cfg, err := config.LoadMetrics()
	if err != nil {
		return nil, nil, err
	}
	if cfg.Off() {
		logger.Info("metrics off (LIFECYCLE_METRICS_ADDR=off)")
		return nil, func() {}, nil
	}
	m, err := metrics.New()
	if err != nil {
		return nil, nil, err
	}
	addr, stop, err := m.Serve(cfg.Addr, logger)
	if err != nil {
		logger.Warn("metrics not served: the worker runs without them", "error", err)
		_ = m.Close()
		return nil, func() {}, nil
	}
	graphTransport = m.RoundTripper(pooledTransport())
	logger.Info("metrics served", "url", "http://"+addr+metrics.Path)
	return m, func() { stop(); _ = m.Close() }, nil
}
