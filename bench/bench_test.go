package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
)

func TestPick(t *testing.T) {
	for _, tc := range []struct {
		args []string
		name string
		rest []string
	}{
		{nil, "reconcile", nil},
		{[]string{"-n", "10"}, "reconcile", []string{"-n", "10"}},
		{[]string{"wave", "-n", "10"}, "wave", []string{"-n", "10"}},
		{[]string{"adopt"}, "adopt", []string{}},
	} {
		name, rest := pick(tc.args)
		if name != tc.name || !slices.Equal(rest, tc.rest) {
			t.Errorf("pick(%q) = %q %q, want %q %q", tc.args, name, rest, tc.name, tc.rest)
		}
	}
}

func TestPercentile(t *testing.T) {
	ds := func(ms ...int) []time.Duration {
		var out []time.Duration
		for _, m := range ms {
			out = append(out, time.Duration(m)*time.Millisecond)
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ds(7), 99, 7 * time.Millisecond},
		{"median of odd", ds(1, 2, 3), 50, 2 * time.Millisecond},
		{"median of even takes the lower", ds(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p95 of 100", hundred, 95, 95 * time.Millisecond},
		{"p99 of 100", hundred, 99, 99 * time.Millisecond},
		{"p99 of 5 is the max", ds(1, 2, 3, 4, 50), 99, 50 * time.Millisecond},
	} {
		if got := percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("%s: percentile(%v) = %s, want %s", tc.name, tc.p, got, tc.want)
		}
	}
}

func TestWaveReportCheck(t *testing.T) {
	limits := waveLimits{maxWritesPerHire: 5, maxRatio: 1.2}
	base := waveReport{Hires: 100, Quota: 3000, WindowSeconds: 150, Writes: 400, Reads: 120, WallSeconds: 21,
		MaxWritesInWindow: 400, Provisioned: 100, Applied: 100}
	for _, tc := range []struct {
		name   string
		change func(*waveReport)
		want   string // a problem's fragment; "" = ok
	}{
		{"at the quota's pace", func(*waveReport) {}, ""},
		{"throttled", func(r *waveReport) { r.Throttled = 3 }, "429"},
		{"slow", func(r *waveReport) { r.WallSeconds = 30 }, "quota bound"},
		{"too many writes", func(r *waveReport) { r.Writes, r.WallSeconds = 600, 31 }, "writes per hire"},
		{"not all provisioned", func(r *waveReport) { r.Provisioned = 99 }, "99 of 100"},
		{"failed actions", func(r *waveReport) { r.Failed = 1 }, "failed"},
	} {
		r := base
		tc.change(&r)
		r.derive()
		r.check(limits)
		if r.QuotaPerSec != 20 || math.Abs(r.QuotaBoundSeconds-float64(r.Writes)/20) > 1e-9 ||
			math.Abs(r.Ratio-r.WallSeconds/r.QuotaBoundSeconds) > 1e-9 || math.Abs(r.WritesPerHire-float64(r.Writes)/100) > 1e-9 {
			t.Errorf("%s: derived figures inconsistent: %+v", tc.name, r)
		}
		if got := strings.Join(r.Problems, "; "); (tc.want == "") != r.OK || !strings.Contains(got, tc.want) {
			t.Errorf("%s: ok %v, problems %q, want %q", tc.name, r.OK, got, tc.want)
		}
	}
}

func TestLatencyReportCheck(t *testing.T) {
	for _, tc := range []struct {
		name           string
		hire, transfer percentiles
		want           string
	}{
		{"within", percentiles{P50: 600, P99: 1500}, percentiles{P50: 300}, ""},
		{"hire median", percentiles{P50: 1000, P99: 1500}, percentiles{P50: 300}, "hire p50"},
		{"hire tail", percentiles{P50: 600, P99: 2500}, percentiles{P50: 300}, "hire p99"},
		{"transfer", percentiles{P50: 600, P99: 1500}, percentiles{P50: 700}, "transfer p50"},
	} {
		r := latencyReport{Hires: 2, Completed: 2, Hire: tc.hire, Transfer: tc.transfer}
		r.check(defaultLatencyTargets)
		if got := strings.Join(r.Problems, "; "); (tc.want == "") != r.OK || !strings.Contains(got, tc.want) {
			t.Errorf("%s: ok %v, problems %q, want %q", tc.name, r.OK, got, tc.want)
		}
	}
}

func TestAdoptReportCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    adoptReport
		want string
	}{
		{"clean", adoptReport{Employees: 10, Settled: 10, WallSeconds: 5, MaxSeconds: 600}, ""},
		{"writes", adoptReport{Employees: 10, Settled: 10, Writes: 1, WallSeconds: 5, MaxSeconds: 600}, "writes"},
		{"slow", adoptReport{Employees: 10, Settled: 10, WallSeconds: 601, MaxSeconds: 600}, "took"},
		{"unsettled", adoptReport{Employees: 10, Settled: 9, WallSeconds: 5, MaxSeconds: 600}, "9 of 10"},
		{"inactive", adoptReport{Employees: 10, Settled: 10, WallSeconds: 5, MaxSeconds: 600, Checked: 10, NotActive: 1}, "not active"},
	} {
		tc.r.check()
		if got := strings.Join(tc.r.Problems, "; "); (tc.want == "") != tc.r.OK || !strings.Contains(got, tc.want) {
			t.Errorf("%s: ok %v, problems %q, want %q", tc.name, tc.r.OK, got, tc.want)
		}
	}
}

func TestWaveHires(t *testing.T) {
	day := hr.MustParseDate("2026-12-02")
	emps, want := waveHires(40, 0.1, day)
	future := 0
	for i, w := range want {
		e := emps[i]
		if w.employeeID != e.EmployeeID || w.upn != hireUPN(e.EmployeeID) {
			t.Fatalf("hire %d: want %+v for %s", i, w, e.EmployeeID)
		}
		start := e.Contracts[0].Start
		if !w.enabled {
			future++
			if !start.After(day) {
				t.Errorf("%s: disabled but starts %s", e.EmployeeID, start)
			}
		} else if start.After(day) {
			t.Errorf("%s: enabled but starts %s", e.EmployeeID, start)
		}
		if !slices.Contains(w.groups, groupOf(e.Contracts[0].Department)) {
			t.Errorf("%s: groups %v lack the department's", e.EmployeeID, w.groups)
		}
	}
	if future != 4 {
		t.Errorf("%d future hires of 40 at 0.1, want 4", future)
	}
}

// runJSON runs a benchmark with -json and decodes its report.
func runJSON(t *testing.T, run func(context.Context, []string, io.Writer) error, args []string, report any) error {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append(args, "-json"), &out)
	if derr := json.Unmarshal(out.Bytes(), report); derr != nil {
		t.Fatalf("%v: report %q: %v (run error %v)", args, out.String(), derr, err)
	}
	return err
}

// TestBenchmarksEndToEnd runs each benchmark small on the embedded stack and
// checks that its printed figures agree with each other and that a missed
// target fails the run.
func TestBenchmarksEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the embedded stack four times")
	}
	progress = io.Discard
	t.Cleanup(func() { progress = os.Stderr })
	t.Run("reconcile", func(t *testing.T) {
		var r report
		if err := runJSON(t, runReconcile, []string{"-n", "200", "-drift", "0.05"}, &r); err != nil {
			t.Errorf("reconcile: %v", err)
		}
		if !r.OK || r.Drifted != 10 || r.Writes > r.MinimalWrites || r.Reads > r.ReadBudget || r.Applied != r.Drifted {
			t.Errorf("reconcile figures: %+v", r)
		}
	})
	t.Run("wave", func(t *testing.T) {
		var r waveReport
		// A writes-per-hire limit no hire meets: the run must fail on it.
		err := runJSON(t, runWave, []string{"-n", "10", "-quota", "100", "-window", "5s", "-max-writes-per-hire", "0.5"}, &r)
		if err == nil || !strings.Contains(err.Error(), "writes per hire") {
			t.Errorf("wave with -max-writes-per-hire 0.5: error %v, want the writes-per-hire target missed", err)
		}
		if r.Provisioned != 10 || r.Future != 1 || r.Writes == 0 || r.Reads == 0 {
			t.Errorf("wave figures: %+v", r)
		}
		if r.QuotaPerSec != 20 || math.Abs(r.QuotaBoundSeconds-float64(r.Writes)/20) > 1e-6 ||
			math.Abs(r.Ratio-r.WallSeconds/r.QuotaBoundSeconds) > 1e-6 ||
			math.Abs(r.WritesPerHire-float64(r.Writes)/10) > 1e-6 || math.Abs(r.HiresPerSec-10/r.WallSeconds) > 1e-6 {
			t.Errorf("wave figures disagree: %+v", r)
		}
		if r.MaxWritesInWindow > r.Quota || r.MaxWritesInWindow > r.Writes || r.ProvisionedSeconds > r.WallSeconds {
			t.Errorf("wave window figures: %+v", r)
		}
		total := 0
		for route, k := range r.ByRoute {
			if !strings.HasPrefix(route, "GET ") && route != "POST /$batch" {
				total += k
			}
		}
		if total != r.Writes {
			t.Errorf("writes by route sum to %d, total %d", total, r.Writes)
		}
	})
	t.Run("latency", func(t *testing.T) {
		var r latencyReport
		// An unreachable target with -report-only: the figures print, the run succeeds.
		err := runJSON(t, runLatency, []string{"-n", "3", "-latency", "10ms", "-hire-p50", "1ns", "-report-only"}, &r)
		if err != nil {
			t.Errorf("latency -report-only: %v", err)
		}
		if r.OK || !strings.Contains(strings.Join(r.Problems, ";"), "hire p50") {
			t.Errorf("latency: ok %v, problems %q, want the hire p50 target missed", r.OK, r.Problems)
		}
		if r.Completed != 3 || r.Hire.Count != 3 || r.Transfer.Count != 3 {
			t.Errorf("latency counts: %+v", r)
		}
		for _, p := range []percentiles{r.Hire, r.Transfer} {
			if !(0 < p.P50 && p.P50 <= p.P95 && p.P95 <= p.P99 && p.P99 <= p.Max) {
				t.Errorf("latency percentiles out of order: %+v", p)
			}
		}
		if r.Hire.P50 < 10 {
			t.Errorf("hire p50 %.1f ms below one Graph round trip", r.Hire.P50)
		}
	})
	t.Run("adopt", func(t *testing.T) {
		var r adoptReport
		err := runJSON(t, runAdopt, []string{"-n", "20", "-max", "1ns"}, &r)
		if err == nil || !strings.Contains(err.Error(), "took") {
			t.Errorf("adopt with -max 1ns: error %v, want the time limit missed", err)
		}
		if r.Settled != 20 || r.Failed != 0 || r.Checked != 20 || r.NotActive != 0 || r.Reads == 0 {
			t.Errorf("adopt figures: %+v", r)
		}
		if r.Writes != 0 {
			t.Errorf("adopting accounts in line wrote %d times: %v", r.Writes, r.ByRoute)
		}
		if r.InPlace != 20 || r.Hires != 0 {
			t.Errorf("adopt: %d in place and %d Hire workflows, want every account in line adopted in place", r.InPlace, r.Hires)
		}
		if (r.Writes > 0) != strings.Contains(strings.Join(r.Problems, ";"), "writes") {
			t.Errorf("adopt: %d writes but problems %q", r.Writes, r.Problems)
		}
		if r.SignalSeconds > r.WallSeconds || math.Abs(r.PerSecond-20/r.WallSeconds) > 1e-6 {
			t.Errorf("adopt timing figures disagree: %+v", r)
		}
	})
}
