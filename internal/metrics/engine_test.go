package metrics

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/reconcile"
)

// The worker hands its *Metrics to the activities as their Observer.
var _ activities.Observer = (*Metrics)(nil)

func TestDriftKindsMatchActivities(t *testing.T) {
	if !slices.Equal(driftKinds, reconcile.DriftKinds) {
		t.Fatalf("driftKinds %v, reconcile.DriftKinds %v", driftKinds, reconcile.DriftKinds)
	}
}

func TestHRSnapshotMetrics(t *testing.T) {
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	before := float64(time.Now().Unix())
	m.HRSnapshot(120, 3, 1500*time.Millisecond, nil)
	m.HRSnapshot(0, 0, 2*time.Second, errors.New("AFAS: 503"))

	e := m.engine
	if got := testutil.ToFloat64(e.hrEmployees); got != 120 {
		t.Errorf("employees = %v, want 120 (a failed read keeps the last good size)", got)
	}
	if got := testutil.ToFloat64(e.hrRejected); got != 3 {
		t.Errorf("rejected = %v, want 3", got)
	}
	if got := testutil.ToFloat64(e.hrFailures); got != 1 {
		t.Errorf("failures = %v, want 1", got)
	}
	if got := testutil.ToFloat64(e.hrLastSuccess); got < before || got > float64(time.Now().Unix())+1 {
		t.Errorf("last success = %v, want about %v", got, before)
	}
	body := scrape(t, m)
	for _, want := range []string{
		"lifecycle_hr_snapshot_employees 120",
		"lifecycle_hr_snapshot_rejected 3",
		"lifecycle_hr_snapshot_read_failures_total 1",
		"lifecycle_hr_snapshot_read_duration_seconds_count 2",
		"lifecycle_hr_snapshot_read_duration_seconds_sum 3.5",
		"lifecycle_hr_snapshot_last_success_timestamp_seconds ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestReconcilePlannedMetrics(t *testing.T) {
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	body := scrape(t, m)
	for _, k := range driftKinds {
		if want := `lifecycle_reconcile_drift{kind="` + k + `"} 0`; !strings.Contains(body, want) {
			t.Errorf("before any plan, scrape lacks %q", want)
		}
	}
	m.ReconcilePlanned(reconcile.PlanSummary{Hire: 2, Move: 1, Orphan: 4}.Drift())
	m.ReconcilePlanned(reconcile.PlanSummary{Hire: 1, Exit: 5}.Drift())
	m.ReconcilePlanned(map[string]int{"hire": 1, "unknown": 9})

	cases := []struct {
		kind         string
		last, summed float64
	}{
		{"hire", 1, 4},
		{"rehire", 0, 0},
		{"move", 0, 1},
		{"exit", 0, 5},
		{"repair", 0, 0},
		{"orphan", 0, 4},
	}
	for _, tc := range cases {
		if got := testutil.ToFloat64(m.engine.drift.WithLabelValues(tc.kind)); got != tc.last {
			t.Errorf("drift{%s} = %v, want %v", tc.kind, got, tc.last)
		}
		if got := testutil.ToFloat64(m.engine.driftTotal.WithLabelValues(tc.kind)); got != tc.summed {
			t.Errorf("drift_total{%s} = %v, want %v", tc.kind, got, tc.summed)
		}
	}
	if got := testutil.ToFloat64(m.engine.plans); got != 3 {
		t.Errorf("plans = %v, want 3", got)
	}
	body = scrape(t, m)
	for _, want := range []string{
		`lifecycle_reconcile_drift{kind="hire"} 1`,
		`lifecycle_reconcile_drift_total{kind="exit"} 5`,
		`lifecycle_reconcile_drift_total{kind="orphan"} 4`,
		"lifecycle_reconcile_plans_total 3",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(body, `kind="unknown"`) {
		t.Error("an unknown drift kind became a label")
	}
}

func TestNilMetricsObserveNothing(t *testing.T) {
	var m *Metrics
	m.HRSnapshot(1, 1, time.Second, nil)
	m.ReconcilePlanned(map[string]int{"hire": 1})
}

func TestLifecycleDelayHistograms(t *testing.T) {
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	leave := time.Date(2026, 10, 1, 17, 0, 0, 0, time.UTC)
	for _, r := range []audit.Record{
		{Action: audit.AccountDisabled, At: leave.Add(40 * time.Second), Due: leave}, // exit on time
		{Action: audit.AccountDisabled, At: leave.Add(3 * time.Hour), Due: leave},    // a worker down for hours
		{Action: audit.AccountEnabled, At: leave.Add(20 * time.Second), Due: leave},  // a hire
		{Action: audit.AccountEnabled, At: leave.Add(-time.Second), Due: leave},      // clocks apart: 0
		{Action: audit.AccountCreated, At: leave.Add(5 * time.Second), Due: leave},   // a hire created enabled
		{Action: audit.AccountCreated, At: leave.Add(time.Hour)},                     // created disabled: no due moment
		{Action: audit.AccountDisabled, At: leave.Add(time.Minute)},                  // no due moment (a compensation)
		{Action: audit.AccountUpdated, At: leave.Add(time.Minute), Due: leave},       // not an enable or disable
		{Action: audit.AccountEnabled, Due: leave},                                   // no time: not observed
	} {
		m.AuditRecorded(r)
	}
	body := scrape(t, m)
	for _, want := range []string{
		"lifecycle_deprovisioning_delay_seconds_count 2",
		"lifecycle_deprovisioning_delay_seconds_sum 10840",
		`lifecycle_deprovisioning_delay_seconds_bucket{le="60"} 1`,
		`lifecycle_deprovisioning_delay_seconds_bucket{le="14400"} 2`,
		"lifecycle_provisioning_latency_seconds_count 3",
		"lifecycle_provisioning_latency_seconds_sum 25",
		`lifecycle_provisioning_latency_seconds_bucket{le="1"} 1`,
		`lifecycle_provisioning_latency_seconds_bucket{le="30"} 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q in\n%s", want, grepLines(body, "lifecycle_provisioning", "lifecycle_deprovisioning"))
		}
	}
}

func TestProvisioningDue(t *testing.T) {
	start := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name   string
		enable bool
		began  time.Time
		want   time.Time
	}{
		{"hire taken up after the start (HR entered it late)", true, start.Add(48 * time.Hour), start.Add(48 * time.Hour)},
		{"hire taken up before the start", true, start.Add(-time.Hour), start},
		{"pre-hire created disabled", false, start.Add(time.Hour), time.Time{}},
	} {
		if got := activities.ProvisioningDue(c.enable, start, c.began); !got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
