package graphsim

import (
	"strconv"
	"testing"
	"time"
)

// TestWriteQuota follows Entra ID's identity write limit (3,000 writes per
// 2 min 30 s per app and tenant, then 429 with Retry-After;
// https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits,
// error shape from https://learn.microsoft.com/graph/throttling#sample-response);
// $batch sub-requests count one by one and a throttled one answers 429 inside
// the batch (https://learn.microsoft.com/graph/throttling#throttling-and-batching).
func TestWriteQuota(t *testing.T) {
	e, ids := seeded(t)
	clk := withClock(e)
	jan := ids.Users["jan.devries@contoso.example"]
	if err := e.sim.SetConfig(Config{WriteQuota: 3, WriteQuotaWindowSeconds: 10}); err != nil {
		t.Fatal(err)
	}
	patch := func(title string) result {
		return e.do("PATCH", "/users/"+jan, map[string]any{"jobTitle": title})
	}
	e.must(200, "GET", "/users/"+jan, nil) // reads do not count
	for i := 0; i < 2; i++ {
		if r := patch("t" + strconv.Itoa(i)); r.status != 204 {
			t.Fatalf("write %d: %d", i, r.status)
		}
		clk.advance(time.Second)
	}
	// t=2s: third write fits; fourth is throttled until the first (t=0) leaves the window at t=10s.
	if r := patch("t2"); r.status != 204 {
		t.Fatalf("third write: %d", r.status)
	}
	r := patch("over")
	if r.status != 429 || r.errCode() != "TooManyRequests" || r.header.Get("Retry-After") != "8" {
		t.Fatalf("fourth write: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.raw)
	}
	if u, _ := e.sim.User(jan); u["jobTitle"] != "t2" {
		t.Errorf("a throttled write changed the user: %v", u["jobTitle"])
	}
	e.must(200, "GET", "/users/"+jan, nil) // reads still pass

	clk.advance(8 * time.Second) // t=10s: the t=0 write has left the window
	e.must(204, "PATCH", "/users/"+jan, map[string]any{"jobTitle": "again"})

	// In a batch: the window is full again (t=1, 2, 10), so each write sub-request is 429.
	b := e.must(200, "POST", "/$batch", map[string]any{"requests": []any{
		map[string]any{"id": "1", "method": "GET", "url": "/users/" + jan},
		map[string]any{"id": "2", "method": "PATCH", "url": "/users/" + jan, "headers": map[string]any{"Content-Type": "application/json"}, "body": map[string]any{"jobTitle": "b"}},
	}})
	for _, x := range b.body["responses"].([]any) {
		m := x.(map[string]any)
		want := 200.0
		if m["id"] == "2" {
			want = 429
			if h, _ := m["headers"].(map[string]any); h["Retry-After"] == nil {
				t.Errorf("throttled sub-request without Retry-After: %v", m)
			}
		}
		if m["status"] != want {
			t.Errorf("sub-request %v: status %v, want %v", m["id"], m["status"], want)
		}
	}
	st := e.sim.Stats()
	if st.Throttled != 2 || st.MaxWritesInWindow != 3 {
		t.Errorf("stats: throttled %d, maxWritesInWindow %d; want 2 and 3", st.Throttled, st.MaxWritesInWindow)
	}
	r = e.must(200, "GET", "/_sim/stats", nil)
	if r.body["throttled"] != 2.0 || r.body["maxWritesInWindow"] != 3.0 {
		t.Errorf("/_sim/stats = %s", r.raw)
	}

	// Without a quota nothing is throttled, but the busiest window is still measured.
	e2 := newEnv(t)
	clk2 := withClock(e2)
	if err := e2.sim.Seed(baseSeed()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		e2.must(201, "POST", "/users", newUserBody("q"+strconv.Itoa(i)))
		clk2.advance(time.Minute)
	}
	if st := e2.sim.Stats(); st.Throttled != 0 || st.MaxWritesInWindow != 3 {
		t.Errorf("no quota: throttled %d, maxWritesInWindow %d; want 0 and 3 (150 s window, one write a minute)", st.Throttled, st.MaxWritesInWindow)
	}
}

// Mail sent through sendMail falls under Outlook's per-mailbox limits, not under the
// identity write quota: with the quota full it is still accepted, and it counts in
// Writes but not in QuotaWrites or the busiest window
// (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits).
func TestSendMailOutsideIdentityQuota(t *testing.T) {
	e, ids := seeded(t)
	withClock(e)
	jan := ids.Users["jan.devries@contoso.example"]
	if err := e.sim.SetConfig(Config{WriteQuota: 1, WriteQuotaWindowSeconds: 60}); err != nil {
		t.Fatal(err)
	}
	e.must(204, "PATCH", "/users/"+jan, map[string]any{"jobTitle": "one"})
	if r := e.do("PATCH", "/users/"+jan, map[string]any{"jobTitle": "two"}); r.status != 429 {
		t.Fatalf("second identity write: %d, want 429", r.status)
	}
	mail := map[string]any{"message": map[string]any{"subject": "Welcome", "body": map[string]any{"contentType": "Text", "content": "hi"},
		"toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": "jan.devries@contoso.example"}}}}}
	e.must(202, "POST", "/users/"+jan+"/sendMail", mail)
	st := e.sim.Stats()
	if st.Writes != 3 || st.QuotaWrites != 1 || st.MaxWritesInWindow != 1 || st.Throttled != 1 {
		t.Errorf("stats: writes %d, quotaWrites %d, maxWritesInWindow %d, throttled %d; want 3, 1, 1, 1", st.Writes, st.QuotaWrites, st.MaxWritesInWindow, st.Throttled)
	}
}
