package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/audit"
)

func TestRoute(t *testing.T) {
	cases := []struct{ path, want string }{
		{"/v1.0/users/8f1c2d3e-1111-2222-3333-444455556666/memberOf", "/users/{id}/memberOf"},
		{"/v1.0/users/ann@contoso.example", "/users/{id}"},
		{"/v1.0/users/ann%40contoso.example/sendMail", "/users/{id}/sendMail"},
		{"/v1.0/groups/8f1c2d3e-1111-2222-3333-444455556666/members/$ref", "/groups/{id}/members/$ref"},
		{"/v1.0/$batch", "/$batch"},
		{"/beta/users/delta()", "/users/delta()"},
		{"/v1.0/users(employeeId='1001')", "/users({id})"},
		{"/v1.0/directory/deletedItems/8f1c2d3e-1111-2222-3333-444455556666/restore", "/directory/deletedItems/{id}/restore"},
		{"/v1.0/servicePrincipals/12345/appRoleAssignedTo", "/servicePrincipals/{id}/appRoleAssignedTo"},
		{"/v1.0/subscribedSkus", "/subscribedSkus"},
		{"/v1.0/users/8f1c2d3e-1111-2222-3333-444455556666/authentication/temporaryAccessPassMethods", "/users/{id}/authentication/temporaryAccessPassMethods"},
	}
	for _, tc := range cases {
		if got := Route(tc.path); got != tc.want {
			t.Errorf("Route(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	now := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		v    string
		want float64
		ok   bool
	}{
		{"7", 7, true},
		{" 120 ", 120, true},
		{"Thu, 01 Oct 2026 12:00:30 GMT", 30, true},
		{"Thu, 01 Oct 2026 11:00:00 GMT", 0, true},
		{"", 0, false},
		{"soon", 0, false},
		{"-3", 0, false},
	}
	for _, tc := range cases {
		got, ok := RetryAfterSeconds(tc.v, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfterSeconds(%q) = %v, %v; want %v, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

// scrape returns the /metrics text.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d", rec.Code)
	}
	return rec.Body.String()
}

func TestGraphRoundTripperCounts(t *testing.T) {
	throttled := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if throttled && strings.HasSuffix(r.URL.Path, "/memberOf") {
			throttled = false
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, `{"value":[]}`)
	}))
	defer srv.Close()
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := &http.Client{Transport: m.RoundTripper(nil)}
	for _, p := range []string{
		"/v1.0/users/8f1c2d3e-1111-2222-3333-444455556666/memberOf",
		"/v1.0/users/8f1c2d3e-1111-2222-3333-444455556666/memberOf",
		"/v1.0/users/9f1c2d3e-1111-2222-3333-444455556666/memberOf",
	} {
		resp, err := c.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	// No server at all: status 0.
	if _, err := c.Get("http://127.0.0.1:1/v1.0/users"); err == nil {
		t.Fatal("a request to a closed port succeeded")
	}
	out := scrape(t, m)
	for _, want := range []string{
		`lifecycle_graph_requests_total{method="GET",route="/users/{id}/memberOf",status="200"} 2`,
		`lifecycle_graph_requests_total{method="GET",route="/users/{id}/memberOf",status="429"} 1`,
		`lifecycle_graph_requests_total{method="GET",route="/users",status="0"} 1`,
		`lifecycle_graph_throttled_total{route="/users/{id}/memberOf"} 1`,
		`lifecycle_graph_retry_after_seconds_sum{route="/users/{id}/memberOf"} 7`,
		`lifecycle_graph_request_duration_seconds_count{method="GET",route="/users/{id}/memberOf"} 3`,
		`lifecycle_audit_records_total{action="tap.issued"} 0`,
		"go_goroutines",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s", want)
		}
	}
}

func TestRouteCardinalityIsCapped(t *testing.T) {
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for i := range maxRoutes + 10 {
		m.route("/v1.0/things" + strings.Repeat("x", i))
	}
	if got := m.route("/v1.0/brand-new"); got != "other" {
		t.Errorf("route past the cap = %q, want other", got)
	}
	if got := m.route("/v1.0/things"); got != "/things" {
		t.Errorf("a known route became %q", got)
	}
}

func TestAuditAndTemporalMetrics(t *testing.T) {
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	m.AuditRecorded(audit.Record{Action: audit.GroupAdded})
	m.AuditRecorded(audit.Record{Action: audit.GroupAdded})
	// The SDK reports through the tally handler; closing the scope flushes it.
	h := m.TemporalHandler().WithTags(map[string]string{"task_queue": "lifecycle"})
	h.Counter("temporal_request").Inc(3)
	h.Timer("temporal_activity_execution_latency").Record(20 * time.Millisecond)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	out := scrape(t, m)
	for _, want := range []string{
		`lifecycle_audit_records_total{action="group.added"} 2`,
		`temporal_request_total{task_queue="lifecycle"} 3`,
		`temporal_activity_execution_latency_seconds_count{task_queue="lifecycle"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in\n%s", want, grepLines(out, "temporal_", "lifecycle_audit"))
		}
	}
}

func TestNilMetricsIsHarmless(t *testing.T) {
	var m *Metrics
	m.AuditRecorded(audit.Record{Action: audit.GroupAdded})
	if m.TemporalHandler() != nil || m.Close() != nil || m.RoundTripper(nil) != http.DefaultTransport {
		t.Error("a nil Metrics did something")
	}
}

func TestServe(t *testing.T) {
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	addr, stop, err := m.Serve("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + addr + Path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "lifecycle_audit_records_total") {
		t.Errorf("GET %s: %d\n%.300s", Path, resp.StatusCode, body)
	}
	// A taken port is reported at once.
	if _, _, err := m.Serve(addr, nil); err == nil {
		t.Error("serving on a taken port succeeded")
	}
}

func grepLines(s string, prefixes ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				out = append(out, l)
			}
		}
	}
	return strings.Join(out, "\n")
}
