// Package metrics exposes the engine's Prometheus metrics: the Temporal SDK's own worker and
// client metrics (through the SDK's tally handler and tally's Prometheus reporter) and the
// engine's counters: Microsoft Graph requests by route and status, throttling (429) and the
// Retry-After delays Graph asked for, audit records written by action, HR snapshot reads
// (size, rejected records, duration, last success, failures), reconciliation drift by kind,
// and the Graph write budget (this worker's share, the workers sharing it, pauses after a
// 429, how long writes waited for it). One registry per Metrics value, served at /metrics.
package metrics

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"

	"github.com/entralifecycle/engine/internal/audit"
)

// DefaultAddr is where the worker serves /metrics unless LIFECYCLE_METRICS_ADDR says otherwise
// (9464 is the port Prometheus exporters of this kind conventionally use).
const DefaultAddr = "127.0.0.1:9464"

// Path is the metrics endpoint's path.
const Path = "/metrics"

// maxRoutes caps the distinct Graph routes labelled; more go under "other".
const maxRoutes = 200

// Metrics holds the registry and the engine's collectors. A nil *Metrics is valid and
// records nothing, so callers need not check whether metrics are on.
type Metrics struct {
	reg         *prometheus.Registry
	scope       tally.Scope
	scopeCloser io.Closer

	graphRequests   *prometheus.CounterVec
	graphLatency    *prometheus.HistogramVec
	graphThrottled  *prometheus.CounterVec
	graphRetryAfter *prometheus.HistogramVec
	auditRecords    *prometheus.CounterVec
	engine          engine
	budget          *writeBudget

	mu     sync.Mutex
	routes map[string]bool
}

// New creates the registry with the Go runtime and process collectors, the engine's
// collectors and a tally scope for the Temporal SDK, reported every second.
func New() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg:    reg,
		routes: map[string]bool{},
		graphRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lifecycle_graph_requests_total",
			Help: "Microsoft Graph HTTP requests by route (ids replaced by {id}), method and status code (0: no response).",
		}, []string{"route", "method", "status"}),
		graphLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lifecycle_graph_request_duration_seconds",
			Help:    "Microsoft Graph HTTP request latency by route and method.",
			Buckets: []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		graphThrottled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lifecycle_graph_throttled_total",
			Help: "Microsoft Graph answers 429 Too Many Requests, by route.",
		}, []string{"route"}),
		graphRetryAfter: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lifecycle_graph_retry_after_seconds",
			Help:    "Retry-After delays Microsoft Graph asked for (on 429 and 503), by route.",
			Buckets: []float64{1, 2, 5, 10, 30, 60, 120, 300},
		}, []string{"route"}),
		auditRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lifecycle_audit_records_total",
			Help: "Audit records written (duplicates of a retried activity excluded), by action.",
		}, []string{"action"}),
		engine: newEngine(),
		budget: newWriteBudget(),
	}
	for _, c := range append([]prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}, m.collectors()...) {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	// Every audit action appears from the start (at 0), so dashboards and alerts see them.
	for _, a := range audit.Actions() {
		m.auditRecords.WithLabelValues(string(a))
	}
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:              reg,
		DefaultTimerType:        tallyprom.HistogramTimerType,
		DefaultHistogramBuckets: []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		OnRegisterError: func(err error) {
			slog.Default().Warn("metrics: a Temporal SDK metric could not be registered", "error", err)
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	m.scope, m.scopeCloser = sdktally.NewPrometheusNamingScope(scope), closer
	return m, nil
}

// collectors are the engine's own collectors (lifecycle_*).
func (m *Metrics) collectors() []prometheus.Collector {
	cs := []prometheus.Collector{m.graphRequests, m.graphLatency, m.graphThrottled, m.graphRetryAfter, m.auditRecords}
	cs = append(cs, m.engine.collectors()...)
	return append(cs, m.budget.collectors()...)
}

// TemporalHandler is the SDK metrics handler for client.Options.MetricsHandler: the worker's
// poll, task, activity and workflow metrics (temporal_*) land in this registry.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	if m == nil {
		return nil
	}
	return sdktally.NewMetricsHandler(m.scope)
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the Prometheus registry (tests and extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// AuditRecorded counts one stored audit record; give it to audit.WithObserver. An enable or
// disable that carries the moment it became due (audit.Record.Due) is also observed as
// provisioning latency or deprovisioning delay. The store passes each record once (a
// retry's duplicates are not stored), so each change is observed once.
func (m *Metrics) AuditRecorded(r audit.Record) {
	if m == nil {
		return
	}
	m.auditRecords.WithLabelValues(string(r.Action)).Inc()
	m.engine.observeDue(r)
}

// Close flushes and stops the tally scope.
func (m *Metrics) Close() error {
	if m == nil || m.scopeCloser == nil {
		return nil
	}
	return m.scopeCloser.Close()
}

// Serve listens on addr now (so a taken port is reported at once) and serves Path in the
// background until stop is called. It returns the address bound (addr may end in :0).
func (m *Metrics) Serve(addr string, logger *slog.Logger) (bound string, stop func(), err error) {
	if logger == nil {
		logger = slog.Default()
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("metrics address %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle(Path, m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server stopped", "addr", addr, "error", err)
		}
	}()
	return l.Addr().String(), func() { _ = srv.Close() }, nil
}

// Graph answers throttled requests with 429 and a Retry-After header, and the SDK's retry
// handler honours it for 429, 503 and 504 (learn.microsoft.com/graph/throttling and
// learn.microsoft.com/graph/throttling-limits; msgraph-sdk-go's kiota retry handler).
//
// RoundTripper wraps next (http.DefaultTransport when nil) to count Microsoft Graph
// requests: by route, method and status, their latency, 429 answers and the Retry-After
// seconds Graph asked for. Give it to directory.WithTransport: it then sees every HTTP
// attempt, retries included. Requests inside a $batch are counted as the one $batch
// request; their own statuses are not visible here.
func (m *Metrics) RoundTripper(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if m == nil {
		return next
	}
	return roundTripper{m: m, next: next}
}

type roundTripper struct {
	m    *Metrics
	next http.RoundTripper
}

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := rt.next.RoundTrip(req)
	route := rt.m.route(req.URL.Path)
	rt.m.graphLatency.WithLabelValues(route, req.Method).Observe(time.Since(start).Seconds())
	status := 0
	if err == nil && resp != nil {
		status = resp.StatusCode
	}
	rt.m.graphRequests.WithLabelValues(route, req.Method, strconv.Itoa(status)).Inc()
	if status == http.StatusTooManyRequests {
		rt.m.graphThrottled.WithLabelValues(route).Inc()
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		if secs, ok := RetryAfterSeconds(resp.Header.Get("Retry-After"), time.Now()); ok {
			rt.m.graphRetryAfter.WithLabelValues(route).Observe(secs)
		}
	}
	return resp, err
}

// route is Route with the cardinality cap.
func (m *Metrics) route(path string) string {
	r := Route(path)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.routes[r] {
		return r
	}
	if len(m.routes) >= maxRoutes {
		return "other"
	}
	m.routes[r] = true
	return r
}

var (
	guidRe = regexp.MustCompile(`(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	// keyRe finds the key of a function-style segment: users('x'), users(employeeId='1001').
	keyRe = regexp.MustCompile(`\(([^)]*)\)`)
)

// Route is a Graph request path as a label: the API version dropped and every id (GUIDs,
// UPNs and mail addresses, numbers, long opaque tokens, keys in parentheses) replaced by
// {id}: "/v1.0/users/8f1c…/memberOf" becomes "/users/{id}/memberOf".
func Route(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) > 0 && (segs[0] == "v1.0" || segs[0] == "beta") {
		segs = segs[1:]
	}
	for i, s := range segs {
		switch {
		case s == "":
		case strings.Contains(s, "("):
			segs[i] = keyRe.ReplaceAllStringFunc(s, func(k string) string {
				if k == "()" {
					return k
				}
				return "({id})"
			})
		case isID(s):
			segs[i] = "{id}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

func isID(s string) bool {
	if guidRe.MatchString(s) || strings.Contains(s, "@") || strings.Contains(s, "%40") {
		return true
	}
	if _, err := strconv.ParseUint(s, 10, 64); err == nil {
		return true
	}
	// Opaque tokens (skip tokens, base64 ids) are long and mix digits with letters.
	if len(s) >= 20 && strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' }) >= 0 {
		return true
	}
	return false
}

// RetryAfterSeconds reads a Retry-After header: delay-seconds or an HTTP date (RFC 9110
// 10.2.3), relative to now. A past date is 0.
func RetryAfterSeconds(v string, now time.Time) (float64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
		return n, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now).Seconds()
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}
