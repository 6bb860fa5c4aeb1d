package graphbudget_test

import (
	"bufio"
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/graphbudget"
	"github.com/entralifecycle/engine/internal/metrics"
)

// graphStub answers 429 with the Retry-After a path asks for (/throttle/<seconds>), 200
// otherwise.
type graphStub struct{}

func (graphStub) RoundTrip(req *http.Request) (*http.Response, error) {
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{}`)), Request: req}
	if secs, ok := strings.CutPrefix(req.URL.Path, "/v1.0/throttle/"); ok {
		resp.StatusCode = http.StatusTooManyRequests
		resp.Header.Set("Retry-After", secs)
	}
	return resp, nil
}

// scrapeValues reads the registry as Prometheus scrapes it: each sample line's name (with
// its labels) and value.
func scrapeValues(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, metrics.Path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d", rec.Code)
	}
	values := map[string]float64{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape line %q: %v", line, err)
		}
		values[line[:i]] = v
	}
	return values
}

// expect checks scraped values (to a microsecond's precision: the budget's clock is exact).
func expect(t *testing.T, step string, got map[string]float64, want map[string]float64) {
	t.Helper()
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: the scrape has no %s", step, name)
			continue
		}
		if math.Abs(g-w) > 1e-6 {
			t.Errorf("%s: %s = %v, want %v", step, name, g, w)
		}
	}
}

// A Budget under the Graph client, driven through pacing, a 429 pause and its extension,
// shows on /metrics: its share and workers, the pause and its end, the writes that waited
// and for how long.
func TestBudgetMetricsScraped(t *testing.T) {
	m, err := metrics.New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const (
		rate      = "lifecycle_graph_write_budget_writes_per_second"
		tenant    = "lifecycle_graph_write_budget_tenant_writes_per_second"
		workers   = "lifecycle_graph_write_budget_workers"
		until     = "lifecycle_graph_write_budget_paused_until_timestamp_seconds"
		left      = "lifecycle_graph_write_budget_pause_remaining_seconds"
		writes    = "lifecycle_graph_write_budget_writes_total"
		waited    = "lifecycle_graph_write_budget_waited_writes_total"
		pauses    = "lifecycle_graph_write_budget_pauses_total"
		pausedFor = "lifecycle_graph_write_budget_paused_seconds_total"
		waitCount = "lifecycle_graph_write_budget_wait_seconds_count"
		waitSum   = "lifecycle_graph_write_budget_wait_seconds_sum"
		throttled = `lifecycle_graph_throttled_total{route="/throttle/{id}"}`
	)
	before := scrapeValues(t, m)
	if _, ok := before[rate]; ok {
		t.Error("the budget's rate is reported before a budget is attached")
	}
	expect(t, "no budget yet", before, map[string]float64{writes: 0, pauses: 0, waitCount: 0})

	clock := graphbudget.NewFakeClock()
	t0 := clock.Now()
	// 20 writes/s for the tenant, shared by two workers: 10/s each, a burst of 10 writes.
	b := graphbudget.New(20, graphbudget.Fixed(2), graphbudget.WithClock(clock), graphbudget.WithBurst(time.Second),
		graphbudget.WithQuotaWindow(0), graphbudget.WithLogger(quiet()))
	if err := b.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.GraphBudget(b)
	// As the worker wires it: the budget outside the metrics transport.
	rt := b.Wrap(m.RoundTripper(graphStub{}))
	send := func(method, path string) int {
		t.Helper()
		req := httptest.NewRequest(method, "http://graph.test/v1.0"+path, nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// sendWaiting sends a write that must wait on the budget, moving the clock by each
	// step once the write is waiting for it.
	sendWaiting := func(method, path string, steps ...time.Duration) {
		t.Helper()
		done := make(chan int, 1)
		go func() { done <- send(method, path) }()
		for _, d := range steps {
			clock.WaitPending(t, 1)
			select {
			case <-done:
				t.Fatalf("%s %s went before the budget released it", method, path)
			default:
			}
			clock.Advance(d)
		}
		<-done
	}
	expect(t, "attached", scrapeValues(t, m), map[string]float64{
		tenant: 20, rate: 10, workers: 2, until: 0, left: 0, writes: 0, waited: 0, pauses: 0, pausedFor: 0, waitCount: 0,
	})

	// Pacing: the burst of ten goes at once, the eleventh waits 100 ms.
	for range 10 {
		send("PATCH", "/users/a")
	}
	sendWaiting("PATCH", "/users/a", 100*time.Millisecond)
	expect(t, "paced", scrapeValues(t, m), map[string]float64{
		writes: 11, waited: 1, waitCount: 11, waitSum: 0.1,
		`lifecycle_graph_write_budget_wait_seconds_bucket{le="0.01"}`: 10,
		`lifecycle_graph_write_budget_wait_seconds_bucket{le="0.1"}`:  11,
		pauses: 0, left: 0,
	})

	// A 429 with Retry-After 7 (the bucket has refilled: the write goes at once) pauses
	// every write of the worker.
	clock.Advance(2 * time.Second)
	if status := send("PATCH", "/throttle/7"); status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want the 429", status)
	}
	pauseEnd := clock.Now().Add(7 * time.Second)
	expect(t, "paused", scrapeValues(t, m), map[string]float64{
		pauses: 1, pausedFor: 7, left: 7, until: float64(pauseEnd.UnixNano()) / 1e9,
		writes: 12, waited: 1, throttled: 1,
	})

	// A write during the pause waits for it; a throttled read meanwhile extends the pause
	// by 2 s (not a new pause), and the write waits for that too: 9 s in all.
	done := make(chan int, 1)
	go func() { done <- send("PATCH", "/users/b") }()
	clock.WaitPending(t, 1)
	send("GET", "/throttle/9")
	clock.Advance(7 * time.Second) // the first pause's end: the writer books again
	clock.WaitPending(t, 1)
	select {
	case <-done:
		t.Fatal("a write went before the extended pause ended")
	default:
	}
	clock.Advance(2 * time.Second)
	<-done
	pauseEnd = t0.Add(2100*time.Millisecond + 9*time.Second)
	if !clock.Now().Equal(pauseEnd) {
		t.Fatalf("the write went at %v, want the extended pause's end %v", clock.Now().Sub(t0), pauseEnd.Sub(t0))
	}
	expect(t, "after the pause", scrapeValues(t, m), map[string]float64{
		pauses: 1, pausedFor: 9, left: 0, until: float64(pauseEnd.UnixNano()) / 1e9,
		writes: 13, waited: 2, waitCount: 13, waitSum: 9.1,
		`lifecycle_graph_write_budget_wait_seconds_bucket{le="5"}`:  12,
		`lifecycle_graph_write_budget_wait_seconds_bucket{le="10"}`: 13,
		throttled: 2,
	})

	// Two more workers join: the share drops.
	b.SetWorkers(4)
	expect(t, "four workers", scrapeValues(t, m), map[string]float64{tenant: 20, rate: 5, workers: 4})
}
