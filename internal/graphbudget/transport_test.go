package graphbudget

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const batchBody = `{"requests":[
 {"id":"1","method":"GET","url":"/users/a"},
 {"id":"2","method":"PATCH","url":"/users/a","body":{"jobTitle":"x"},"headers":{"Content-Type":"application/json"}},
 {"id":"3","method":"post","url":"/groups/g/members/$ref","body":{}},
 {"id":"4","method":"DELETE","url":"/groups/h/members/a/$ref"}]}`

func TestBatchWrites(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     []byte
		encoding string
		want     int
	}{
		{"writes among reads", []byte(batchBody), "", 3},
		{"gzip as the Graph SDK sends it", gzipped(t, batchBody), "gzip", 3},
		{"reads only", []byte(`{"requests":[{"id":"1","method":"GET","url":"/me"}]}`), "", 0},
		{"twenty adds", []byte(`{"requests":[` + strings.Repeat(`{"method":"POST"},`, 19) + `{"method":"POST"}]}`), "", 20},
		{"mail is not an identity write", []byte(`{"requests":[{"method":"POST","url":"/users/x/sendMail"},{"method":"PATCH","url":"/users/x"}]}`), "", 1},
		{"unreadable JSON", []byte(`{"requests":`), "", 1},
		{"bad gzip", []byte(batchBody), "gzip", 1},
	} {
		if got := BatchWrites(tc.body, tc.encoding); got != tc.want {
			t.Errorf("%s: %d writes, want %d", tc.name, got, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"7", 7 * time.Second, true},
		{" 2.5 ", 2500 * time.Millisecond, true},
		{"0", 0, false},
		{"-3", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"100000", maxPause, true},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), 0, false},
	} {
		got, ok := RetryAfter(tc.v, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBatchRetryAfter(t *testing.T) {
	now := time.Now()
	throttled := `{"responses":[
 {"id":"1","status":200,"body":{}},
 {"id":"2","status":429,"headers":{"Retry-After":"5"},"body":{"error":{"code":"TooManyRequests"}}},
 {"id":"3","status":429,"headers":{"retry-after":"9"}},
 {"id":"4","status":503,"headers":{"Retry-After":"60"}}]}`
	for _, tc := range []struct {
		name     string
		body     []byte
		encoding string
		want     time.Duration
		ok       bool
	}{
		{"longest of the throttled answers", []byte(throttled), "", 9 * time.Second, true},
		{"gzip", gzipped(t, throttled), "gzip", 9 * time.Second, true},
		{"none throttled", []byte(`{"responses":[{"id":"1","status":204}]}`), "", 0, false},
		{"429 without Retry-After", []byte(`{"responses":[{"id":"1","status":429}]}`), "", 0, false},
		{"not JSON", []byte(`<html>`), "", 0, false},
	} {
		got, ok := BatchRetryAfter(tc.body, tc.encoding, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// fakeGraph answers from a function and records what it received.
type fakeGraph struct {
	mu     sync.Mutex
	bodies [][]byte
	answer func(*http.Request) *http.Response
}

func (f *fakeGraph) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	f.mu.Unlock()
	return f.answer(req), nil
}

func answer(status int, header http.Header, body string) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body))}
}

func request(t *testing.T, method, url string, body []byte, header http.Header) *http.Request {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return req
}

// A $batch takes one token per write inside it and reaches Graph byte for byte; a read
// takes none.
func TestTransportCountsBatchWrites(t *testing.T) {
	clock := newFakeClock()
	b := New(10, Fixed(1), WithClock(clock), WithBurst(time.Second), WithQuotaWindow(0), WithLogger(quiet()))
	g := &fakeGraph{answer: func(*http.Request) *http.Response { return answer(200, nil, `{"responses":[]}`) }}
	booked := func() time.Duration {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.tat.Sub(clock.Now())
	}
	rt := b.Wrap(g)
	body := gzipped(t, batchBody)
	resp, err := rt.RoundTrip(request(t, "POST", "http://graph.test/v1.0/$batch", body, http.Header{"Content-Encoding": {"gzip"}}))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !bytes.Equal(g.bodies[0], body) {
		t.Error("the $batch body reached Graph changed")
	}
	// Three writes at 10/s (within the burst, so sent at once): the bucket is booked 300 ms
	// ahead.
	if got := booked(); got != 300*time.Millisecond {
		t.Errorf("bucket booked %v ahead after a $batch of three writes, want 300ms", got)
	}
	for range 5 {
		resp, err := rt.RoundTrip(request(t, "GET", "http://graph.test/v1.0/users/a", nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if got := booked(); got != 300*time.Millisecond {
		t.Errorf("reads took tokens: bucket booked %v ahead, want 300ms", got)
	}
}

// records keeps the log records of a test.
type records struct {
	mu   sync.Mutex
	msgs []string
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }
func (r *records) count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if strings.HasPrefix(m, prefix) {
			n++
		}
	}
	return n
}

// A 429 with Retry-After pauses every write of the process, logged once, while reads go on;
// a 429 inside a $batch answer does the same.
func TestTransport429PausesAllWrites(t *testing.T) {
	clock := newFakeClock()
	logs := &records{}
	b := New(1000, Fixed(1), WithClock(clock), WithLogger(slog.New(logs)))
	g := &fakeGraph{answer: func(req *http.Request) *http.Response {
		switch req.URL.Path {
		case "/v1.0/users/a":
			return answer(429, http.Header{"Retry-After": {"7"}}, `{"error":{"code":"TooManyRequests"}}`)
		case "/v1.0/users/b":
			return answer(429, http.Header{"Retry-After": {"9"}}, `{"error":{"code":"TooManyRequests"}}`)
		}
		return answer(200, nil, `{}`)
	}}
	rt := b.Wrap(g)
	roundTrip := func(method, path string) *http.Response {
		t.Helper()
		resp, err := rt.RoundTrip(request(t, method, "http://graph.test/v1.0"+path, nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := roundTrip("PATCH", "/users/a"); resp.StatusCode != 429 {
		t.Fatalf("status %d, want the 429 passed on", resp.StatusCode)
	}
	// A throttled read during the pause extends it, without another log line.
	roundTrip("GET", "/users/b")
	if got := b.PausedUntil().Sub(clock.Now()); got != 9*time.Second {
		t.Errorf("paused %v, want 9s", got)
	}
	if n := logs.count("Microsoft Graph throttled"); n != 1 {
		t.Errorf("%d pause log lines, want 1", n)
	}
	// Reads go on during the pause.
	if resp := roundTrip("GET", "/users/c"); resp.StatusCode != 200 {
		t.Fatalf("read during the pause: status %d", resp.StatusCode)
	}
	// Another writer (a different activity) waits for the pause.
	done := make(chan struct{})
	go func() {
		defer close(done)
		roundTrip("DELETE", "/groups/g/members/c/$ref")
	}()
	clock.waitPending(t, 1)
	clock.Advance(8 * time.Second)
	select {
	case <-done:
		t.Fatal("a write went during the pause")
	default:
	}
	clock.Advance(time.Second)
	<-done

	// A $batch answered 200 with a throttled request inside pauses too (a batch of reads,
	// which the bucket, empty after the pause, lets through at once).
	g.answer = func(*http.Request) *http.Response {
		return answer(200, nil, `{"responses":[{"id":"1","status":429,"headers":{"Retry-After":"4"}}]}`)
	}
	reads := `{"requests":[{"id":"1","method":"GET","url":"/users/a"}]}`
	resp, err := rt.RoundTrip(request(t, "POST", "http://graph.test/v1.0/$batch", []byte(reads), nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(resp.Body); !strings.Contains(string(got), `"status":429`) {
		t.Errorf("the $batch answer reached the client as %q", got)
	}
	if got := b.PausedUntil().Sub(clock.Now()); got != 4*time.Second {
		t.Errorf("paused %v after a throttled $batch step, want 4s", got)
	}
	if n := logs.count("Microsoft Graph throttled"); n != 2 {
		t.Errorf("%d pause log lines after the second pause, want 2", n)
	}
}

func TestOutsideIdentityQuota(t *testing.T) {
	for path, want := range map[string]bool{
		"/v1.0/users/abc/sendMail":         true,
		"/v1.0/users/abc/sendmail?x=1":     true,
		"/v1.0/users/abc":                  false,
		"/v1.0/groups/g/members/$ref":      false,
		"/v1.0/users/abc/assignLicense":    false,
		"/v1.0/users/sendMail-fan/manager": false,
	} {
		if got := outsideIdentityQuota(path); got != want {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
}
