package metrics

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/entralifecycle/engine/internal/graphbudget"
)

// writeBudget exports the worker's share of the tenant's Graph write budget: gauges read
// from the Budget at each scrape, and counters and a histogram the Budget feeds as its
// Observer. Feeding them takes no lock: Prometheus counters and histograms are atomic.
type writeBudget struct {
	budget atomic.Pointer[graphbudget.Budget]

	tenantRate  *prometheus.Desc
	rate        *prometheus.Desc
	workers     *prometheus.Desc
	pausedUntil *prometheus.Desc
	pauseLeft   *prometheus.Desc

	wait          prometheus.Histogram
	writes        prometheus.Counter
	waitedWrites  prometheus.Counter
	pauses        prometheus.Counter
	pausedSeconds prometheus.Counter
}

var _ graphbudget.Observer = (*writeBudget)(nil)

func newWriteBudget() *writeBudget {
	return &writeBudget{
		tenantRate: prometheus.NewDesc("lifecycle_graph_write_budget_tenant_writes_per_second",
			"The tenant-wide Graph write budget every worker shares (LIFECYCLE_GRAPH_WRITES_PER_SECOND; 0: unpaced).", nil, nil),
		rate: prometheus.NewDesc("lifecycle_graph_write_budget_writes_per_second",
			"This worker's sustained share of the Graph write budget, writes per second (0: unpaced).", nil, nil),
		workers: prometheus.NewDesc("lifecycle_graph_write_budget_workers",
			"Workers the Graph write budget is shared with, this one included (the task queue's live pollers).", nil, nil),
		pausedUntil: prometheus.NewDesc("lifecycle_graph_write_budget_paused_until_timestamp_seconds",
			"When the last pause of this worker's Graph writes after a 429 ends or ended (Unix seconds; 0: none yet).", nil, nil),
		pauseLeft: prometheus.NewDesc("lifecycle_graph_write_budget_pause_remaining_seconds",
			"Seconds until this worker's Graph writes resume after a 429 (0: not paused).", nil, nil),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "lifecycle_graph_write_budget_wait_seconds",
			Help:    "How long each Graph write request (a $batch once) waited for the write budget, 0 included; requests whose activity gave up waiting included.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}),
		writes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lifecycle_graph_write_budget_writes_total",
			Help: "Graph writes sent through the write budget (each write inside a $batch counted).",
		}),
		waitedWrites: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lifecycle_graph_write_budget_waited_writes_total",
			Help: "Graph writes sent after waiting for the write budget (its rate or a pause).",
		}),
		pauses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lifecycle_graph_write_budget_pauses_total",
			Help: "Pauses of all of this worker's Graph writes started by a 429 with Retry-After (extensions not counted).",
		}),
		pausedSeconds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lifecycle_graph_write_budget_paused_seconds_total",
			Help: "Seconds this worker's Graph writes were paused by 429s, extensions included.",
		}),
	}
}

func (w *writeBudget) collectors() []prometheus.Collector {
	return []prometheus.Collector{w, w.wait, w.writes, w.waitedWrites, w.pauses, w.pausedSeconds}
}

// Describe describes the gauges read from the Budget.
func (w *writeBudget) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{w.tenantRate, w.rate, w.workers, w.pausedUntil, w.pauseLeft} {
		ch <- d
	}
}

// Collect reads the Budget's state; before a Budget is attached there is nothing to report.
func (w *writeBudget) Collect(ch chan<- prometheus.Metric) {
	b := w.budget.Load()
	if b == nil {
		return
	}
	s := b.State()
	until := 0.0
	if !s.PausedUntil.IsZero() {
		until = float64(s.PausedUntil.UnixNano()) / 1e9
	}
	for _, g := range []struct {
		d *prometheus.Desc
		v float64
	}{
		{w.tenantRate, max(s.TenantPerSecond, 0)},
		{w.rate, s.PerSecond},
		{w.workers, float64(s.Workers)},
		{w.pausedUntil, until},
		{w.pauseLeft, s.PauseLeft.Seconds()},
	} {
		ch <- prometheus.MustNewConstMetric(g.d, prometheus.GaugeValue, g.v)
	}
}

// Waited records one wait for the budget (graphbudget.Observer).
func (w *writeBudget) Waited(n int, d time.Duration, sent bool) {
	w.wait.Observe(d.Seconds())
	if !sent {
		return
	}
	w.writes.Add(float64(n))
	if d > 0 {
		w.waitedWrites.Add(float64(n))
	}
}

// Paused records a pause started or extended by a 429 (graphbudget.Observer).
func (w *writeBudget) Paused(started bool, added time.Duration) {
	if started {
		w.pauses.Inc()
	}
	w.pausedSeconds.Add(added.Seconds())
}

// GraphBudget exports b, this worker's share of the tenant's Graph write budget: its rate,
// the workers it is shared with and its pause, read at each scrape, and from now on the
// writes it held and the pauses it began (it becomes b's Observer). Call it once, with the
// Budget under the Graph client. A nil Metrics or Budget does nothing.
func (m *Metrics) GraphBudget(b *graphbudget.Budget) {
	if m == nil || b == nil {
		return
	}
	m.budget.budget.Store(b)
	b.SetObserver(m.budget)
}
