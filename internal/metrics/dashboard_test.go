package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestDashboardUsesKnownMetrics checks that every engine metric the Grafana dashboard
// queries is one this package defines, so a renamed metric cannot leave a panel empty.
func TestDashboardUsesKnownMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/grafana/lifecycle-engine.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	known := map[string]bool{}
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range m.collectors() {
			c.Describe(ch)
		}
		close(ch)
	}()
	for d := range ch {
		if s := fqName.FindStringSubmatch(d.String()); s != nil {
			known[s[1]] = true
		}
	}
	used := regexp.MustCompile(`\blifecycle_[a-z_]+`)
	seen := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, name := range used.FindAllString(tg.Expr, -1) {
				seen++
				base := name
				for _, suf := range []string{"_bucket", "_count", "_sum"} {
					if b, ok := strings.CutSuffix(name, suf); ok && known[b] {
						base = b
					}
				}
				if !known[base] {
					t.Errorf("panel %q queries %s, which is not defined", p.Title, name)
				}
			}
		}
	}
	for _, want := range []string{"lifecycle_hr_snapshot_employees", "lifecycle_reconcile_drift",
		"lifecycle_provisioning_latency_seconds_bucket", "lifecycle_deprovisioning_delay_seconds_bucket",
		"lifecycle_graph_write_budget_writes_per_second", "lifecycle_graph_write_budget_wait_seconds_bucket",
		"lifecycle_graph_write_budget_pause_remaining_seconds"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("dashboard has no panel on %s", want)
		}
	}
	if seen == 0 {
		t.Fatal("no engine metric found in the dashboard's queries")
	}
}
