package metrics

import (
	"time"

	"github.com/entralifecycle/engine/internal/audit"

	"github.com/prometheus/client_golang/prometheus"
)

// driftKinds are the reconciliation drift kinds labelled (reconcile.DriftKinds); each
// series exists from the start, at 0.
var driftKinds = []string{"hire", "rehire", "move", "exit", "repair", "orphan"}

// engine holds the HR snapshot and reconciliation collectors.
type engine struct {
	hrEmployees   prometheus.Gauge
	hrRejected    prometheus.Gauge
	hrDuration    prometheus.Histogram
	hrLastSuccess prometheus.Gauge
	hrFailures    prometheus.Counter
	drift         *prometheus.GaugeVec
	driftTotal    *prometheus.CounterVec
	plans         prometheus.Counter
	provisioning  prometheus.Histogram
	deprovision   prometheus.Histogram
}

// lifecycleBuckets are the upper bounds of the provisioning latency and deprovisioning
// delay histograms: seconds to minutes for the engine's own work, hours to days for a worker
// that was down or a change held for approval.
var lifecycleBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800}

func newEngine() engine {
	e := engine{
		hrEmployees: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lifecycle_hr_snapshot_employees",
			Help: "Employees in the last HR snapshot read successfully.",
		}),
		hrRejected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lifecycle_hr_snapshot_rejected",
			Help: "Records the last HR snapshot read successfully rejected as invalid.",
		}),
		hrDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "lifecycle_hr_snapshot_read_duration_seconds",
			Help:    "How long reading the HR snapshot took, failed reads included.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}),
		hrLastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lifecycle_hr_snapshot_last_success_timestamp_seconds",
			Help: "When the HR snapshot was last read successfully (Unix seconds; 0: not yet).",
		}),
		hrFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lifecycle_hr_snapshot_read_failures_total",
			Help: "HR snapshot reads that failed.",
		}),
		drift: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lifecycle_reconcile_drift",
			Help: "Drift between HR and Entra ID in the last reconciliation plan, by kind (orphan: accounts without an HR record).",
		}, []string{"kind"}),
		driftTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lifecycle_reconcile_drift_total",
			Help: "Drift found by the reconciliation plans computed, summed over plans, by kind.",
		}, []string{"kind"}),
		plans: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lifecycle_reconcile_plans_total",
			Help: "Reconciliation plans computed.",
		}),
		provisioning: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "lifecycle_provisioning_latency_seconds",
			Help:    "From the moment a hire's access became due (the later of the start and the hire being taken up) to the account being enabled.",
			Buckets: lifecycleBuckets,
		}),
		deprovision: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "lifecycle_deprovisioning_delay_seconds",
			Help:    "From an employee's leave moment to the account being disabled.",
			Buckets: lifecycleBuckets,
		}),
	}
	for _, k := range driftKinds {
		e.drift.WithLabelValues(k)
		e.driftTotal.WithLabelValues(k)
	}
	return e
}

func (e engine) collectors() []prometheus.Collector {
	return []prometheus.Collector{e.hrEmployees, e.hrRejected, e.hrDuration, e.hrLastSuccess,
		e.hrFailures, e.drift, e.driftTotal, e.plans, e.provisioning, e.deprovision}
}

// HRSnapshot records one HR snapshot read (activities.Observer): its duration always, the
// sizes and the time of success when it succeeded, a failure otherwise.
func (m *Metrics) HRSnapshot(employees, rejected int, d time.Duration, err error) {
	if m == nil {
		return
	}
	m.engine.hrDuration.Observe(d.Seconds())
	if err != nil {
		m.engine.hrFailures.Inc()
		return
	}
	m.engine.hrEmployees.Set(float64(employees))
	m.engine.hrRejected.Set(float64(rejected))
	m.engine.hrLastSuccess.SetToCurrentTime()
}

// ReconcilePlanned records a computed reconciliation plan's drift by kind
// (activities.Observer). Kinds other than the known ones are ignored, keeping the label
// set fixed.
func (m *Metrics) ReconcilePlanned(drift map[string]int) {
	if m == nil {
		return
	}
	m.engine.plans.Inc()
	for _, k := range driftKinds {
		n := drift[k]
		m.engine.drift.WithLabelValues(k).Set(float64(n))
		m.engine.driftTotal.WithLabelValues(k).Add(float64(n))
	}
}

// observeDue records the delay of an enable or disable that carries the moment it became
// due: provisioning latency for account.enabled (or account.created when created enabled), deprovisioning delay for account.disabled.
// A change made before it was due (clocks apart) counts as 0.
func (e engine) observeDue(r audit.Record) {
	if r.Due.IsZero() || r.At.IsZero() {
		return
	}
	d := max(r.At.Sub(r.Due), 0).Seconds()
	switch r.Action {
	case audit.AccountEnabled, audit.AccountCreated:
		// A created record carries a due moment only when the account was created enabled.
		e.provisioning.Observe(d)
	case audit.AccountDisabled:
		e.deprovision.Observe(d)
	}
}
