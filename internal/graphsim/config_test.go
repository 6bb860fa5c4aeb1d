package graphsim

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for tests that must not sleep.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// withClock installs a fake clock on e's simulator.
func withClock(e *testEnv) *fakeClock {
	fc := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	e.sim.SetClock(fc.now)
	return fc
}

func TestConfigEndpoint(t *testing.T) {
	e := newEnv(t)
	r := e.must(200, "GET", "/_sim/config", nil)
	if r.body["replicationLagMs"] != float64(0) || r.body["writeQuota"] != float64(0) || r.body["writeQuotaWindowSeconds"] != float64(150) {
		t.Fatalf("default config = %s", r.raw)
	}
	r = e.must(200, "PUT", "/_sim/config", map[string]any{"replicationLagMs": 2500, "writeQuota": 3000})
	if r.body["replicationLagMs"] != float64(2500) || r.body["writeQuotaWindowSeconds"] != float64(150) {
		t.Fatalf("config after PUT = %s", r.raw)
	}
	if got := e.sim.Config(); got != (Config{ReplicationLagMs: 2500, WriteQuota: 3000, WriteQuotaWindowSeconds: 150}) {
		t.Fatalf("Config() = %+v", got)
	}
	for _, tc := range []struct {
		body any
		want string
	}{
		{map[string]any{"replicationLagMs": -1}, "replicationLagMs"},
		{map[string]any{"writeQuota": -5}, "writeQuota"},
		{map[string]any{"writeQuotaWindowSeconds": 99999}, "writeQuotaWindowSeconds"},
		{map[string]any{"lag": 1}, "unknown field"},
		{"not json", "config"},
	} {
		r := e.do("PUT", "/_sim/config", tc.body)
		msg, _ := r.body["error"].(string)
		if r.status != 400 || !strings.Contains(msg, tc.want) {
			t.Errorf("PUT %v: %d %s, want 400 mentioning %q", tc.body, r.status, r.raw, tc.want)
		}
	}
	if got := e.sim.Config(); got.ReplicationLagMs != 2500 {
		t.Errorf("a refused PUT changed the config: %+v", got)
	}
	if err := e.sim.SetConfig(Config{ReplicationLagMs: -3}); err == nil || !strings.Contains(err.Error(), "replicationLagMs") {
		t.Errorf("SetConfig(-3) = %v", err)
	}
}
