package config

import "strings"

// Metrics holds where the worker serves Prometheus metrics (docs/audit.md).
type Metrics struct {
	// Addr is the listen address of /metrics; "off" serves none.
	Addr string `envconfig:"LIFECYCLE_METRICS_ADDR" default:"127.0.0.1:9464"`
}

// LoadMetrics reads and validates the metrics settings.
func LoadMetrics() (Metrics, error) {
	var m Metrics
	if err := Load(&m); err != nil {
		return m, err
	}
	if m.Off() {
		return m, nil
	}
	return m, HostPort("LIFECYCLE_METRICS_ADDR", m.Addr)
}

// Off reports whether metrics are switched off.
func (m Metrics) Off() bool { return strings.EqualFold(strings.TrimSpace(m.Addr), "off") }
