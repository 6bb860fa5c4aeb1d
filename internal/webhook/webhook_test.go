package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is the Temporal boundary's test double: it records the events it
// was asked to deliver.
type recorder struct {
	mu     sync.Mutex
	events []Event
	err    error
}

func (r *recorder) Notify(_ context.Context, ev Event) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return "", r.err
	}
	r.events = append(r.events, ev)
	return "employee/" + ev.EmployeeID, nil
}

var (
	secret = []byte("s3cret-for-tests")
	now    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	quiet  = slog.New(slog.NewTextHandler(io.Discard, nil))
)

func newServer(rec *recorder, opts ...Option) http.Handler {
	return NewHandler(secret, rec, append([]Option{WithClock(func() time.Time { return now }), WithLogger(quiet)}, opts...)...)
}

func signed(body string, ts time.Time, key []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, EventsPath, strings.NewReader(body))
	t, s := Sign(key, ts, []byte(body))
	req.Header.Set(HeaderTimestamp, t)
	req.Header.Set(HeaderSignature, s)
	return req
}

func TestRefusals(t *testing.T) {
	valid := `{"employeeId":"1001","source":"afas","reason":"contract-changed"}`
	big := `{"employeeId":"1001","reason":"` + strings.Repeat("x", MaxBody) + `"}`
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		msg    string
		opts   []Option
	}{
		{"unsigned", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, EventsPath, strings.NewReader(valid))
		}, 401, "missing X-Lifecycle-Timestamp", nil},
		{"no signature header", func() *http.Request {
			r := signed(valid, now, secret)
			r.Header.Del(HeaderSignature)
			return r
		}, 401, "missing X-Lifecycle-Signature", nil},
		{"wrong secret", func() *http.Request { return signed(valid, now, []byte("other")) }, 401, "does not match", nil},
		{"body changed after signing", func() *http.Request {
			r := signed(valid, now, secret)
			r.Body = io.NopCloser(strings.NewReader(strings.Replace(valid, "1001", "1002", 1)))
			return r
		}, 401, "does not match", nil},
		{"signature not hex", func() *http.Request {
			r := signed(valid, now, secret)
			r.Header.Set(HeaderSignature, "sha256=zz")
			return r
		}, 401, "sha256=<hex>", nil},
		{"stale timestamp", func() *http.Request { return signed(valid, now.Add(-5*time.Minute-time.Second), secret) }, 401, "5-minute window", nil},
		{"future timestamp", func() *http.Request { return signed(valid, now.Add(5*time.Minute+time.Second), secret) }, 401, "5-minute window", nil},
		{"timestamp not a number", func() *http.Request {
			r := signed(valid, now, secret)
			r.Header.Set(HeaderTimestamp, "yesterday")
			return r
		}, 401, "unix seconds", nil},
		{"oversized body", func() *http.Request { return signed(big, now, secret) }, 413, "larger than", nil},
		{"oversized body without length", func() *http.Request {
			r := signed(big, now, secret)
			r.ContentLength = -1
			return r
		}, 413, "larger than", nil},
		{"malformed JSON", func() *http.Request { return signed(`{"employeeId":`, now, secret) }, 400, "malformed JSON", nil},
		{"missing employeeId", func() *http.Request { return signed(`{"reason":"x"}`, now, secret) }, 400, "employeeId", nil},
		{"employeeId with slash", func() *http.Request { return signed(`{"employeeId":"../1"}`, now, secret) }, 400, "employeeId", nil},
		{"embedded employee for someone else", func() *http.Request {
			return signed(`{"employeeId":"1","employee":{"employeeId":"2","givenName":"A","familyName":"B"}}`, now, secret)
		}, 400, "differs", []Option{WithEmbeddedRecords(true)}},
		{"embedded employee invalid", func() *http.Request {
			return signed(`{"employeeId":"1","employee":{"givenName":"A","familyName":"","contracts":[]}}`, now, secret)
		}, 400, "missing family name", []Option{WithEmbeddedRecords(true)}},
		{"wrong method", func() *http.Request { return httptest.NewRequest(http.MethodGet, EventsPath, nil) }, 405, "use POST", nil},
		{"unknown path", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/v1/other", nil) }, 404, "no such endpoint", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			w := httptest.NewRecorder()
			newServer(rec, tc.opts...).ServeHTTP(w, tc.req())
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d (%s)", w.Code, tc.status, w.Body)
			}
			var body map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || !strings.Contains(body["error"], tc.msg) {
				t.Errorf("body = %s, want a JSON error mentioning %q", w.Body, tc.msg)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
			if len(rec.events) != 0 {
				t.Errorf("refused request still notified: %+v", rec.events)
			}
		})
	}
}

func TestValidEventSignalsEntityWorkflow(t *testing.T) {
	rec := &recorder{}
	h := newServer(rec)
	body := `{"employeeId":"1001","source":"afas","reason":"contract-changed"}`
	for _, at := range []time.Time{now, now.Add(-4 * time.Minute), now.Add(4 * time.Minute)} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signed(body, at, secret))
		if w.Code != http.StatusAccepted || strings.TrimSpace(w.Body.String()) != `{"workflowId":"employee/1001"}` {
			t.Fatalf("reply %d %s", w.Code, w.Body)
		}
	}
	if len(rec.events) != 3 || rec.events[0] != (Event{EmployeeID: "1001", Source: "afas", Reason: "contract-changed"}) {
		t.Errorf("events %+v", rec.events)
	}

	emb := `{"employeeId":"7","source":"file","employee":{"givenName":"Anne","familyName":"Vos","contracts":[{"id":"7-1","start":"2026-04-01"}]}}`
	w := httptest.NewRecorder()
	newServer(rec, WithEmbeddedRecords(true)).ServeHTTP(w, signed(emb, now, secret))
	if w.Code != http.StatusAccepted {
		t.Fatalf("embedded employee: %d %s", w.Code, w.Body)
	}
	got := rec.events[3]
	if got.Employee == nil || got.Employee.EmployeeID != "7" || got.Employee.Contracts[0].Start.String() != "2026-04-01" {
		t.Errorf("embedded employee delivered as %+v", got.Employee)
	}
}

func TestNotifierFailureAndNoSecret(t *testing.T) {
	rec := &recorder{err: errors.New("temporal unavailable")}
	w := httptest.NewRecorder()
	newServer(rec).ServeHTTP(w, signed(`{"employeeId":"1"}`, now, secret))
	if w.Code != http.StatusServiceUnavailable || strings.Contains(w.Body.String(), "temporal") {
		t.Errorf("notifier failure: %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	NewHandler(nil, &recorder{}, WithLogger(quiet)).ServeHTTP(w, signed(`{"employeeId":"1"}`, time.Now(), nil))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("empty secret accepted an event: %d", w.Code)
	}
}

func TestHealth(t *testing.T) {
	w := httptest.NewRecorder()
	newServer(&recorder{}).ServeHTTP(w, httptest.NewRequest(http.MethodGet, HealthPath, nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"ok"`) {
		t.Errorf("healthz %d %s", w.Code, w.Body)
	}
	h := NewHandler(secret, &recorder{}, WithLogger(quiet), WithHealthCheck(func(context.Context) error { return errors.New("down") }))
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, HealthPath, nil))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("failing health check gave %d", w.Code)
	}
}

func TestSignMatchesContract(t *testing.T) {
	// "sha256=" + hex(HMAC-SHA256(secret, "<ts>.<body>")), independently computed
	// with: printf '1700000000.{}' | openssl dgst -sha256 -hmac key
	ts, sig := Sign([]byte("key"), time.Unix(1700000000, 0), []byte("{}"))
	if ts != "1700000000" || sig != "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae" {
		t.Errorf("Sign = %s %s", ts, sig)
	}
}

func TestRunGracefulShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.WriteHeader(http.StatusAccepted)
	})
	go func() { done <- Serve(ctx, ln, slow) }()

	type result struct {
		code int
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/x", "application/json", bytes.NewReader(nil))
		if err != nil {
			inflight <- result{err: err}
			return
		}
		resp.Body.Close()
		inflight <- result{code: resp.StatusCode}
	}()
	time.Sleep(100 * time.Millisecond) // let the request reach the handler
	cancel()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if r := <-inflight; r.err != nil || r.code != http.StatusAccepted {
		t.Errorf("in-flight request during shutdown: %+v", r)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve returned %v", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
	if err := Run(context.Background(), addr+"x", slow); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("Run with a bad address: %v", err)
	}
}

// The incident: a caller holding the webhook secret sent employee 1003's
// "record" moving them into ICT, and the engine granted ICT's groups. A
// server that reads HR itself must refuse records in events.
func TestEmbeddedRecordRefusedUnlessAccepted(t *testing.T) {
	forged := `{"employeeId":"1003","source":"afas","reason":"contract-changed","employee":{"employeeId":"1003",` +
		`"givenName":"Piet","familyName":"Bakker","contracts":[{"id":"1003-1","start":"2024-01-01","department":"ICT","jobTitle":"ICT Admin"}]}}`
	for _, tc := range []struct {
		name   string
		opts   []Option
		status int
	}{
		{"default", nil, http.StatusBadRequest},
		{"explicitly off", []Option{WithEmbeddedRecords(false)}, http.StatusBadRequest},
		{"file source that accepts records", []Option{WithEmbeddedRecords(true)}, http.StatusAccepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			w := httptest.NewRecorder()
			newServer(rec, tc.opts...).ServeHTTP(w, signed(forged, now, secret))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.status == http.StatusBadRequest {
				var body map[string]string
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || !strings.Contains(body["error"], "does not accept employee records") ||
					!strings.Contains(body["error"], "LIFECYCLE_WEBHOOK_ACCEPT_RECORDS") {
					t.Fatalf("error %s does not say why", w.Body)
				}
				if len(rec.events) != 0 {
					t.Fatalf("refused record still delivered: %+v", rec.events)
				}
				return
			}
			if len(rec.events) != 1 || rec.events[0].Employee == nil || rec.events[0].Employee.Contracts[0].Department != "ICT" {
				t.Fatalf("accepted record delivered as %+v", rec.events)
			}
		})
	}
	// An event without a record is still accepted by the default handler.
	rec := &recorder{}
	w := httptest.NewRecorder()
	newServer(rec).ServeHTTP(w, signed(`{"employeeId":"1003","source":"afas","employee":null}`, now, secret))
	if w.Code != http.StatusAccepted || len(rec.events) != 1 || rec.events[0].Employee != nil {
		t.Fatalf("plain event: %d %s", w.Code, w.Body)
	}
}

func TestInvalidEmployeeIDIsTheSendersError(t *testing.T) {
	for _, id := range []string{"1001é", "١٠٠١", "１００１", "1001\u200b", "10/01", " 1001", "", strings.Repeat("9", 65)} {
		t.Run(id, func(t *testing.T) {
			rec := &recorder{}
			body, _ := json.Marshal(Event{EmployeeID: id, Source: "afas"})
			w := httptest.NewRecorder()
			newServer(rec).ServeHTTP(w, signed(string(body), now, secret))
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "employeeId") {
				t.Fatalf("id %q: %d %s, want 400 naming employeeId", id, w.Code, w.Body)
			}
			if len(rec.events) != 0 {
				t.Fatalf("invalid id delivered: %+v", rec.events)
			}
		})
	}
	// The engine refusing the event (ErrInvalidEvent) is also a 400, never a 503.
	rec := &recorder{err: fmt.Errorf("%w: workflow id too long", ErrInvalidEvent)}
	w := httptest.NewRecorder()
	newServer(rec).ServeHTTP(w, signed(`{"employeeId":"1001"}`, now, secret))
	if w.Code != http.StatusBadRequest {
		t.Fatalf("invalid event from the notifier: %d %s", w.Code, w.Body)
	}
}
