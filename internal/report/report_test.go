package report

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/hr"
)

type fakeEntities struct {
	ents []Entity
	held []HeldRun
	err  error
}

var _ Entities = (*fakeEntities)(nil)

func (f *fakeEntities) Entities(context.Context) ([]Entity, error)  { return f.ents, f.err }
func (f *fakeEntities) HeldRuns(context.Context) ([]HeldRun, error) { return f.held, nil }

type fakeAudit struct {
	recs    []audit.Record
	filters []audit.Filter
	holders []audit.Holding
}

var _ Audit = (*fakeAudit)(nil)

// Query applies the filter fields the report uses, oldest first.
func (f *fakeAudit) Query(_ context.Context, flt audit.Filter) ([]audit.Record, error) {
	f.filters = append(f.filters, flt)
	var out []audit.Record
	for _, r := range f.recs {
		if flt.EmployeeID != "" && r.EmployeeID != flt.EmployeeID {
			continue
		}
		if len(flt.Actions) > 0 && !containsAction(flt.Actions, r.Action) {
			continue
		}
		if flt.TargetKind != "" && (r.Target.Kind != flt.TargetKind || !strings.EqualFold(r.Target.Name, flt.TargetName)) {
			continue
		}
		if !flt.Since.IsZero() && r.At.Before(flt.Since) || !flt.Until.IsZero() && !r.At.Before(flt.Until) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

func containsAction(as []audit.Action, a audit.Action) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

func (f *fakeAudit) Holders(_ context.Context, kind, name string, _ time.Time) ([]audit.Holding, error) {
	return f.holders, nil
}

type fakeHR struct {
	snap  hr.Snapshot
	err   error
	reads int
}

var _ HR = (*fakeHR)(nil)
var _ HR = hr.Source(nil)

func (f *fakeHR) Snapshot(context.Context) (hr.Snapshot, error) {
	f.reads++
	return f.snap, f.err
}

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// fixture is a small organisation: 3 active (one failing), 1 pre-hire, 2 left (one long ago),
// 1 terminated entity, one reconciliation held by the guard, three exits in the audit trail
// and an HR snapshot with a rejected record, a future starter and a replacement ending.
func fixture() (*fakeEntities, *fakeAudit, *fakeHR) {
	ents := &fakeEntities{
		ents: []Entity{
			{EmployeeID: "E1", WorkflowID: "employee/E1", Status: "active", Execution: "Running", State: &EntityState{Name: "Ann Active"}},
			{EmployeeID: "E2", WorkflowID: "employee/E2", Status: "active", Execution: "Running", State: &EntityState{
				Name: "Bob Leaving", Timers: []Timer{{What: "leave: disable the account", At: now.Add(6 * 24 * time.Hour)}},
				Replacements: []ReplacementState{{ID: "r-7", ReplacedEmployeeID: "E9", End: now.Add(2 * 24 * time.Hour), State: "active"}},
			}},
			{EmployeeID: "E3", WorkflowID: "employee/E3", Status: "active", Execution: "Running", State: &EntityState{
				Name: "Cas Failing", LastError: "Graph 403: insufficient privileges", Blocked: true, RetryAt: ptr(now.Add(time.Hour)),
			}},
			{EmployeeID: "E4", WorkflowID: "employee/E4", Status: "pre-hire", Execution: "Running", State: &EntityState{
				Name: "Dee Starter", Timers: []Timer{{What: "start: enable the account", At: now.Add(5 * 24 * time.Hour)}, {What: "retry after failure", At: now.Add(time.Hour)}},
			}},
			{EmployeeID: "E5", WorkflowID: "employee/E5", Status: "left", Execution: "Running", State: &EntityState{
				Name: "Eve Left", LeftAt: ptr(now.Add(-10 * 24 * time.Hour)), Timers: []Timer{{What: "delete the account", At: now.Add(20 * 24 * time.Hour)}},
			}},
			{EmployeeID: "E6", WorkflowID: "employee/E6", Status: "left", Execution: "Running", EffectiveDate: now.Add(-40 * 24 * time.Hour)},
			{EmployeeID: "E7", WorkflowID: "employee/E7", Status: "active", Execution: "Terminated"},
		},
		held: []HeldRun{{WorkflowID: "reconcile/17", WorkflowType: "Reconcile", Started: now.Add(-time.Hour), Held: 12, Reason: "12 of 100 accounts would be disabled (above 5%)"}},
	}
	exit := func(emp, wf string, leave time.Time, delay time.Duration) []audit.Record {
		return []audit.Record{
			{At: leave.Add(delay), EmployeeID: emp, Action: audit.AccountDisabled, WorkflowID: wf, Reason: "exit"},
			{At: leave.Add(delay + time.Second), EmployeeID: emp, Action: audit.AccountUpdated, WorkflowID: wf, Reason: "exit",
				Changes: []audit.Change{{Field: "employeeLeaveDateTime", After: leave.UTC().Format(time.RFC3339)}}},
		}
	}
	var recs []audit.Record
	recs = append(recs, audit.Record{At: now.Add(-2 * 24 * time.Hour), EmployeeID: "E1", Action: audit.GroupAdded,
		Target: audit.Target{Kind: audit.KindGroup, ID: "g1", Name: "All Staff"}, Reason: "hire; role:Everyone", WorkflowID: "employee/E1/hire/1"})
	recs = append(recs, exit("E5", "employee/E5/exit/1", now.Add(-10*24*time.Hour), 30*time.Second)...)
	recs = append(recs, exit("E8", "employee/E8/exit/1", now.Add(-5*24*time.Hour), 4*time.Minute)...)
	recs = append(recs, exit("E6", "employee/E6/exit/1", now.Add(-40*24*time.Hour), 2*time.Hour)...)
	// A disable without a leave moment (a reconciliation repair) is not an exit.
	recs = append(recs, audit.Record{At: now.Add(-3 * 24 * time.Hour), EmployeeID: "E10", Action: audit.AccountDisabled, WorkflowID: "reconcile/3"})
	au := &fakeAudit{recs: recs, holders: []audit.Holding{{EmployeeID: "E1", ObjectID: "o1"}}}
	h := &fakeHR{snap: hr.Snapshot{
		Employees: []hr.Employee{
			{EmployeeID: "E20", GivenName: "Fay", FamilyName: "Future", Contracts: []hr.Contract{{ID: "c1", Start: hr.NewDate(2026, 3, 12)}}},
			// Known to its entity: not listed from HR again.
			{EmployeeID: "E4", GivenName: "Dee", FamilyName: "Starter", Contracts: []hr.Contract{{ID: "c1", Start: hr.NewDate(2026, 3, 7)}}},
		},
		Replacements: []hr.Replacement{{ID: "r-9", SubstituteEmployeeID: "E20", ReplacedEmployeeID: "E1", Start: hr.NewDate(2026, 3, 12), End: ptr(hr.NewDate(2026, 3, 20))}},
		Rejected:     []hr.Rejection{{EmployeeID: "E99", Source: "file", Reason: "givenName is empty"}},
	}}
	return ents, au, h
}

func newTestHandler(t *testing.T, opts ...Option) (*Handler, *fakeEntities, *fakeAudit, *fakeHR) {
	t.Helper()
	ents, au, h := fixture()
	base := []Option{WithClock(func() time.Time { return now }), WithListenAddr("127.0.0.1:8235"), WithTemporalUI("http://ui.test/", "default")}
	return New(Sources{Entities: ents, Audit: au, HR: h}, append(base, opts...)...), ents, au, h
}

func get(t *testing.T, h http.Handler, target string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// figure reads the text of the element with the id.
func figure(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no element %q in the page", id)
	}
	return m[1]
}

func TestPageFigures(t *testing.T) {
	h, _, _, _ := newTestHandler(t)
	res, body := get(t, h, "/report")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}
	for id, want := range map[string]string{
		"fig-active": "4", "fig-prehire": "1", "fig-left": "1", "fig-attention": "2", "fig-held": "1",
		"fig-rejected": "1", "fig-entities": "7",
		"fig-exits": "3", "fig-median": "4m00s", "fig-worst": "2h00m",
		"hr-employees": "2", "hr-rejected": "1", "hr-warnings": "0",
	} {
		if got := figure(t, body, id); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	for _, want := range []string{
		"Graph 403: insufficient privileges", "workflow terminated", // attention reasons
		"12 of 100 accounts would be disabled", // guard reason
		`href="http://ui.test/namespaces/default/workflows/employee%2FE3"`,
		`href="http://ui.test/namespaces/default/workflows/reconcile%2F17"`,
		"givenName is empty", // HR rejection
		"All Staff",          // audit record of the last 7 days
		`<svg id="delay-chart"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestUpcoming(t *testing.T) {
	ents, _, h := fixture()
	rows := computeUpcoming(ents.ents, &h.snap, now, time.UTC)
	var got []string
	for _, r := range rows {
		got = append(got, r.At.Format("01-02")+" "+r.Kind+" "+r.EmployeeID)
	}
	want := []string{
		"03-04 replacement ends E2", "03-07 start E4", "03-08 leave E2", "03-12 start E20",
		"03-20 replacement ends E20", "03-22 deletion E5",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("upcoming:\n got %q\nwant %q", got, want)
	}
}

func TestComputeDelay(t *testing.T) {
	_, au, _ := fixture()
	tests := []struct {
		name       string
		recs       []audit.Record
		exits      int
		median     time.Duration
		worst      time.Duration
		worstEmp   string
		slowBucket int
	}{
		{"none", nil, 0, 0, 0, "", 0},
		{"fixture", au.recs, 3, 4 * time.Minute, 2 * time.Hour, "E6", 0},
		{"disabled before the moment counts as zero", []audit.Record{
			{At: now.Add(-time.Minute), Action: audit.AccountDisabled, WorkflowID: "w"},
			{At: now, Action: audit.AccountUpdated, WorkflowID: "w", Changes: []audit.Change{{Field: leaveDateField, After: now.Format(time.RFC3339)}}},
		}, 1, 0, 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := computeDelay(tt.recs)
			if len(d.Exits) != tt.exits || d.Median != tt.median {
				t.Fatalf("exits %d median %v, want %d %v", len(d.Exits), d.Median, tt.exits, tt.median)
			}
			if tt.exits == 0 {
				if d.Worst != nil || d.Bars != nil {
					t.Errorf("worst %v bars %v without exits", d.Worst, d.Bars)
				}
				return
			}
			if d.Worst.Delay != tt.worst || d.Worst.EmployeeID != tt.worstEmp {
				t.Errorf("worst %v of %q, want %v of %q", d.Worst.Delay, d.Worst.EmployeeID, tt.worst, tt.worstEmp)
			}
			total := 0
			for _, b := range d.Bars {
				total += b.Count
			}
			if total != tt.exits {
				t.Errorf("bars count %d exits, want %d", total, tt.exits)
			}
		})
	}
}

func TestAuditSearchAndCSV(t *testing.T) {
	h, _, au, _ := newTestHandler(t)
	_, body := get(t, h, "/report?employee=E1&kind=group&target=all+staff&since=2026-02-01&until=2026-02-28")
	if got := figure(t, body, "record-count"); got != "1" {
		t.Errorf("records shown %q, want 1", got)
	}
	f := au.filters[0]
	if f.EmployeeID != "E1" || f.TargetKind != audit.KindGroup || f.TargetName != "all staff" ||
		!f.Since.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) || !f.Until.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("filter %+v", f)
	}
	if !strings.Contains(body, `id="holders"`) || !strings.Contains(body, "<strong>1</strong>") {
		t.Error("holders of the searched group not shown")
	}
	csvURL := regexp.MustCompile(`id="csv" href="([^"]+)"`).FindStringSubmatch(body)
	if csvURL == nil {
		t.Fatal("no CSV link")
	}
	link := html.UnescapeString(csvURL[1])
	res, out := get(t, h, link)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: status %d type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][2] != "E1" || rows[1][7] != "All Staff" {
		t.Errorf("CSV rows %q", rows)
	}

	_, body = get(t, h, "/report?since=2026-02-30")
	if !strings.Contains(body, "no such day") {
		t.Error("bad date not reported")
	}
	res, _ = get(t, h, "/report/audit.csv?kind=printer&target=x")
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("CSV with a bad kind: status %d", res.StatusCode)
	}
}

func TestAccess(t *testing.T) {
	const tok = "s3cret-token-0123456789"
	basic := func(user, pass string) string {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.SetBasicAuth(user, pass)
		return r.Header.Get("Authorization")
	}
	tests := []struct {
		name   string
		listen string
		token  string
		auth   string
		want   int
	}{
		{"loopback without token", "127.0.0.1:8235", "", "", 200},
		{"all interfaces without token refused", ":8235", "", "", 403},
		{"public address without token refused", "10.1.2.3:8235", "", "Bearer anything", 403},
		{"token required even on loopback", "127.0.0.1:8235", tok, "", 401},
		{"bearer", "0.0.0.0:8235", tok, "Bearer " + tok, 200},
		{"wrong bearer", "0.0.0.0:8235", tok, "Bearer " + tok + "x", 401},
		{"basic password", "0.0.0.0:8235", tok, basic("anyone", tok), 200},
		{"basic wrong password", "0.0.0.0:8235", tok, basic(tok, "nope"), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, _, _ := newTestHandler(t, WithListenAddr(tt.listen), WithToken(tt.token))
			res, body := get(t, h, "/report", "Authorization", tt.auth)
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.want, body)
			}
			if tt.want == 401 && res.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tt.want != 200 && strings.Contains(body, "Ann Active") {
				t.Error("refused response leaks the page")
			}
		})
	}
}

func TestHRCacheAndErrors(t *testing.T) {
	clock := now
	h, ents, _, src := newTestHandler(t, WithClock(func() time.Time { return clock }), WithHRCacheTTL(time.Minute))
	get(t, h, "/report")
	get(t, h, "/report")
	if src.reads != 1 {
		t.Errorf("HR read %d times within the TTL, want 1", src.reads)
	}
	clock = clock.Add(2 * time.Minute)
	src.err = errors.New("AFAS: 503 Service Unavailable")
	ents.err = errors.New("visibility unavailable")
	res, body := get(t, h, "/report")
	if src.reads != 2 {
		t.Errorf("HR read %d times after the TTL, want 2", src.reads)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d with failing sources", res.StatusCode)
	}
	if !strings.Contains(body, "AFAS: 503 Service Unavailable") || !strings.Contains(body, "visibility unavailable") {
		t.Error("source errors not shown")
	}
	// The last good snapshot is still shown.
	if got := figure(t, body, "hr-employees"); got != "2" {
		t.Errorf("hr-employees %q after a failed read, want the last good 2", got)
	}
}

func TestRoutes(t *testing.T) {
	h, _, _, _ := newTestHandler(t)
	if res, _ := get(t, h, "/report/nothing"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path: %d", res.StatusCode)
	}
	req := httptest.NewRequest(http.MethodPost, "/report", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
	// Without sources the page still renders, saying what is missing.
	res, body := get(t, New(Sources{}, WithListenAddr("127.0.0.1:1")), "/report")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "No Temporal connection configured") {
		t.Errorf("empty sources: %d", res.StatusCode)
	}
}

func TestFmtDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second: "30s", 4*time.Minute + 5*time.Second: "4m05s", 3*time.Hour + 5*time.Minute: "3h05m", 50 * time.Hour: "2d02h",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// encoded is a query answer as the default JSON data converter would deliver it.
type encoded struct{ v any }

func (e encoded) HasValue() bool { return e.v != nil }
func (e encoded) Get(ptr any) error {
	b, err := json.Marshal(e.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, ptr)
}

func TestEngineSettings(t *testing.T) {
	_, au, src := fixture()
	set := EngineSettings{Token: "env-token-0123456789", UIURL: "https://temporal.example.org/"}
	h := Engine(nil, "prod", au, src, "0.0.0.0:8235", "http://127.0.0.1:8233", set, WithClock(func() time.Time { return now }))
	if res, _ := get(t, h, "/report"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without the token: %d", res.StatusCode)
	}
	res, body := get(t, h, "/report", "Authorization", "Bearer env-token-0123456789")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("with the token: %d", res.StatusCode)
	}
	if !strings.Contains(body, `href="https://temporal.example.org/namespaces/prod/workflows/employee%2FE1%2Fhire%2F1"`) {
		t.Error("workflow links do not use the configured UI URL")
	}
	if !strings.Contains(body, "No Temporal connection configured") {
		t.Error("a nil client should leave the entity figures out")
	}
}
