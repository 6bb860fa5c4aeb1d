// Package webhook is the HR webhook: HR systems (or middleware in front of
// them) POST a signed notification that an employee changed, and the
// handler asks the engine to re-read that employee.
//
// Contract (docs/webhook.md): POST /v1/hr/events with a JSON body
// {"employeeId": "1001", "source": "afas", "reason": "contract-changed"}.
// Only a handler built WithEmbeddedRecords(true) (the file source, configured
// to accept them) takes "employee": {…} in the HR file shape; any other
// answers such an event 400, because the entity re-reads the employee from
// HR and a record in the event would let whoever holds the secret write HR
// data. Headers X-Lifecycle-Timestamp (unix seconds) and
// X-Lifecycle-Signature ("sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>"
// keyed with the shared secret). More than 5 minutes of clock skew or a bad
// signature gives 401, a body over 1 MiB 413, a malformed event 400, all
// with {"error": "…"}; an accepted event gives 202 {"workflowId": "…"}.
// GET /healthz answers {"status": "ok"}.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
)

// Paths and headers of the contract.
const (
	EventsPath      = "/v1/hr/events"
	HealthPath      = "/healthz"
	HeaderTimestamp = "X-Lifecycle-Timestamp"
	HeaderSignature = "X-Lifecycle-Signature"
	// MaxBody is the largest accepted body (1 MiB).
	MaxBody = 1 << 20
	// MaxSkew is the largest accepted difference between the timestamp
	// header and the server's clock, either way.
	MaxSkew = 5 * time.Minute
)

// Event is one HR notification.
type Event struct {
	EmployeeID string `json:"employeeId"`
	Source     string `json:"source,omitempty"`
	Reason     string `json:"reason,omitempty"`
	// Employee is the record itself, for sources without a read API.
	Employee *hr.Employee `json:"employee,omitempty"`
}

// Notifier delivers an accepted event to the engine (signal-with-start of
// the employee's entity workflow) and returns that workflow's id.
type Notifier interface {
	Notify(ctx context.Context, ev Event) (workflowID string, err error)
}

// Option adjusts the handler.
type Option func(*handler)

// WithClock replaces the clock used for the timestamp window.
func WithClock(now func() time.Time) Option { return func(h *handler) { h.now = now } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(h *handler) { h.log = l } }

// WithEmbeddedRecords lets events carry the employee record ("employee").
// Only a source without a read API (the file source) should accept them;
// the default refuses every event that carries one with 400.
func WithEmbeddedRecords(accept bool) Option { return func(h *handler) { h.acceptRecords = accept } }

// ErrInvalidEvent marks a Notifier error caused by the event itself (for
// example an employee id the engine cannot address): the sender gets 400,
// not a retry-later 503, since sending it again cannot help.
var ErrInvalidEvent = errors.New("invalid event")

// WithHealthCheck makes /healthz answer 503 when check fails.
func WithHealthCheck(check func(ctx context.Context) error) Option {
	return func(h *handler) { h.health = check }
}

type handler struct {
	secret        []byte
	n             Notifier
	now           func() time.Time
	log           *slog.Logger
	health        func(ctx context.Context) error
	acceptRecords bool
}

// NewHandler returns the webhook's HTTP handler. With an empty secret every
// event is refused (503), so a misconfigured server never accepts unsigned
// events.
func NewHandler(secret []byte, n Notifier, opts ...Option) http.Handler {
	h := &handler{secret: append([]byte(nil), secret...), n: n, now: time.Now, log: slog.Default()}
	for _, o := range opts {
		o(h)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(EventsPath, h.events)
	mux.HandleFunc(HealthPath, h.healthz)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: use POST "+EventsPath)
	})
	return mux
}

// Sign computes the two headers for body sent at ts.
func Sign(secret []byte, ts time.Time, body []byte) (tsHeader, sigHeader string) {
	tsHeader = strconv.FormatInt(ts.Unix(), 10)
	return tsHeader, "sha256=" + hex.EncodeToString(mac(secret, tsHeader, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "use GET")
		return
	}
	if h.health != nil {
		if err := h.health(r.Context()); err != nil {
			h.log.Warn("health check failed", "error", err.Error())
			writeError(w, http.StatusServiceUnavailable, "unhealthy")
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	if len(h.secret) == 0 {
		writeError(w, http.StatusServiceUnavailable, "webhook secret not configured")
		return
	}
	if r.ContentLength > MaxBody {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", MaxBody))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "could not read body")
		return
	}
	if len(body) > MaxBody {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", MaxBody))
		return
	}
	if msg := h.verify(r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body); msg != "" {
		h.log.Warn("HR event refused", "reason", msg, "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, msg)
		return
	}
	ev, msg := parseEvent(body, h.acceptRecords)
	if msg != "" {
		h.log.Warn("HR event rejected", "reason", msg, "remote", r.RemoteAddr)
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	id, err := h.n.Notify(r.Context(), ev)
	if errors.Is(err, ErrInvalidEvent) {
		h.log.Warn("HR event rejected by the engine", "error", err.Error())
		writeError(w, http.StatusBadRequest, "event rejected: "+err.Error())
		return
	}
	if err != nil {
		h.log.Error("HR event not delivered", "employeeId", ev.EmployeeID, "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "event could not be delivered; retry later")
		return
	}
	h.log.Info("HR event accepted", "employeeId", ev.EmployeeID, "source", ev.Source, "reason", ev.Reason, "workflowId", id)
	writeJSON(w, http.StatusAccepted, map[string]string{"workflowId": id})
}

// verify returns "" for a valid signature, else the reason for the client.
func (h *handler) verify(ts, sig string, body []byte) string {
	if ts == "" {
		return "missing " + HeaderTimestamp + " header"
	}
	if sig == "" {
		return "missing " + HeaderSignature + " header"
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return HeaderTimestamp + " is not unix seconds"
	}
	skew := h.now().Sub(time.Unix(secs, 0))
	if skew > MaxSkew || skew < -MaxSkew {
		return "timestamp outside the 5-minute window"
	}
	hexSig, ok := strings.CutPrefix(sig, "sha256=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil {
		return HeaderSignature + " must be sha256=<hex>"
	}
	if !hmac.Equal(got, mac(h.secret, ts, body)) {
		return "signature does not match"
	}
	return ""
}

// parseEvent decodes and checks an event; the message is "" for a usable one.
func parseEvent(body []byte, acceptRecords bool) (Event, string) {
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return Event{}, "malformed JSON event: " + err.Error()
	}
	// The id becomes part of a workflow id and a search attribute: an id HR
	// validation refuses (non-ASCII among others) is the sender's 400, never a
	// delivery failure (503) further on.
	if problem := hr.IDProblem(ev.EmployeeID); problem != "" {
		return Event{}, "employeeId: " + problem
	}
	if len(ev.Source) > 64 || len(ev.Reason) > 200 {
		return Event{}, "source or reason too long"
	}
	if ev.Employee != nil && !acceptRecords {
		return Event{}, "this server does not accept employee records in events: send the event without \"employee\" and the engine re-reads the employee from HR " +
			"(records are accepted only with LIFECYCLE_HR_SOURCE=file and LIFECYCLE_WEBHOOK_ACCEPT_RECORDS=true)"
	}
	if ev.Employee != nil {
		if ev.Employee.EmployeeID == "" {
			ev.Employee.EmployeeID = ev.EmployeeID
		}
		if ev.Employee.EmployeeID != ev.EmployeeID {
			return Event{}, "employee.employeeId differs from employeeId"
		}
		if reasons := hr.ValidateEmployee(*ev.Employee); len(reasons) > 0 {
			return Event{}, "employee rejected: " + strings.Join(reasons, "; ")
		}
	}
	return ev, ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// Run serves h on addr until ctx is done, then shuts down gracefully,
// giving requests in flight up to 10 seconds. A port already in use is
// reported at once.
func Run(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("webhook: listen on %s: %w", addr, err)
	}
	return Serve(ctx, ln, h)
}

// Serve is Run on an existing listener.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("webhook: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("webhook: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("webhook: serve: %w", err)
	}
	return nil
}
