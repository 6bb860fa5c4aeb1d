// Package report serves the engine's report page: a server-rendered HTML overview of the
// employee entities (how many are active, pre-hire, recently left, failing; which exits the
// mass-change guard holds), what happens in the coming 30 days, a search of the audit trail
// with CSV export, the delay between a leave moment and the account being disabled, and the
// health of the HR source. It reads three small sources declared here (Entities, Audit, HR),
// so it can be tested with fakes and fed by Temporal visibility, the audit store and the HR
// connector in production.
//
// The page holds personal data. The handler refuses to serve it when the engine's HTTP side
// listens on a non-loopback address unless a token is configured (see WithToken).
package report

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/hr"
)

// Entity is one employee entity workflow as the report sees it: what visibility lists
// (search attributes and execution status) and, when it could be asked, its state.
type Entity struct {
	EmployeeID string
	WorkflowID string
	// Status is the LifecycleStatus search attribute (new, pre-hire, active, left, ...).
	Status string
	// LastEvent and EffectiveDate are the LifecycleEvent and EffectiveDate search attributes:
	// the last lifecycle event and its moment.
	LastEvent     string
	EffectiveDate time.Time
	// Execution is Temporal's execution status ("Running", "Failed", "Terminated", ...).
	Execution string
	// State is the answer of the entity's state query; nil when it was not asked or failed.
	State *EntityState
}

// EntityState is the part of an entity's state query answer the report reads.
type EntityState struct {
	// Status is the entity's own status ("active", "pre-hire", ...): while a
	// removal of managed access waits for the guard it stays as it was, only
	// the LifecycleStatus search attribute reads awaiting-approval. While an
	// exit waits it is awaiting-approval, and HeldFrom is the status the
	// entity had before.
	Status       string
	HeldFrom     string
	Name         string
	ObjectID     string
	UPN          string
	LastError    string
	Blocked      bool
	RetryAt      *time.Time
	LeftAt       *time.Time
	Timers       []Timer
	Replacements []ReplacementState
}

// Timer is a future moment an entity will act at, as its state query names it
// ("start: enable the account", "leave: disable the account", "delete the account", ...).
type Timer struct {
	What string
	At   time.Time
}

// ReplacementState is a temporary replacement the entity (the substitute) tracks.
type ReplacementState struct {
	ID                 string
	ReplacedEmployeeID string
	End                time.Time
	State              string
}

// HeldRun is a running reconciliation or policy rollout that the mass-change guard holds
// until someone approves or rejects it (LifecycleStatus awaiting-approval).
type HeldRun struct {
	WorkflowID   string
	WorkflowType string
	Started      time.Time
	// Held counts the removals held, when known; Reason is the guard's verdict.
	Held   int
	Reason string
}

// Entities lists the employee entities and the runs the guard holds.
type Entities interface {
	Entities(ctx context.Context) ([]Entity, error)
	HeldRuns(ctx context.Context) ([]HeldRun, error)
}

// Audit is the part of the audit store the report reads (audit.Store satisfies it).
type Audit interface {
	Query(ctx context.Context, f audit.Filter) ([]audit.Record, error)
	Holders(ctx context.Context, kind, nameOrID string, at time.Time) ([]audit.Holding, error)
}

// HR reads the HR snapshot (every hr.Source satisfies it).
type HR interface {
	Snapshot(ctx context.Context) (hr.Snapshot, error)
}

// Sources are what the report reads; a nil source leaves its sections out.
type Sources struct {
	Entities Entities
	Audit    Audit
	HR       HR
}

// Handler serves the report page and its CSV export.
type Handler struct {
	src        Sources
	now        func() time.Time
	loc        *time.Location
	uiURL      string
	namespace  string
	base       string
	listenAddr string
	token      string
	hrTTL      time.Duration
	logger     *slog.Logger

	hrMu   sync.Mutex
	hrSnap *hrRead
}

// hrRead is the last HR snapshot read and when, or the error of the last attempt.
type hrRead struct {
	snap   hr.Snapshot
	at     time.Time
	err    error
	errAt  time.Time
	tookMS int64
}

// Option adjusts a Handler.
type Option func(*Handler)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithLocation sets the time zone dates are shown and HR days are read in (the policy's).
func WithLocation(loc *time.Location) Option {
	return func(h *Handler) {
		if loc != nil {
			h.loc = loc
		}
	}
}

// WithTemporalUI makes every workflow a link to <uiURL>/namespaces/<namespace>/workflows/<id>.
func WithTemporalUI(uiURL, namespace string) Option {
	return func(h *Handler) { h.uiURL, h.namespace = strings.TrimRight(uiURL, "/"), namespace }
}

// WithBasePath sets the path the handler is mounted at (default /report).
func WithBasePath(p string) Option {
	return func(h *Handler) { h.base = "/" + strings.Trim(p, "/") }
}

// WithListenAddr tells the handler the address the HTTP server listens on. On a loopback
// address (127.0.0.0/8, ::1, localhost) the page is served without a credential; on any
// other address (or when unknown) only with the token of WithToken.
func WithListenAddr(addr string) Option { return func(h *Handler) { h.listenAddr = addr } }

// WithToken requires the token on every request: as "Authorization: Bearer <token>", or as
// the password of HTTP basic authentication (any user name), so a browser can sign in.
func WithToken(token string) Option { return func(h *Handler) { h.token = token } }

// WithHRCacheTTL sets how long an HR snapshot read is reused (default 5 minutes): reading a
// vendor's API on every page view would be slow and costly.
func WithHRCacheTTL(d time.Duration) Option { return func(h *Handler) { h.hrTTL = d } }

// WithLogger sets the logger for source errors.
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.logger = l } }

// New returns the report handler over the sources.
func New(src Sources, opts ...Option) *Handler {
	h := &Handler{src: src, now: time.Now, loc: time.UTC, base: "/report", hrTTL: 5 * time.Minute, logger: slog.Default()}
	for _, o := range opts {
		o(h)
	}
	return h
}

// ServeHTTP serves the page (GET <base>) and the audit export (GET <base>/audit.csv).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(w, r) {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case h.base, "":
		h.servePage(w, r)
	case h.base + "/audit.csv":
		h.serveCSV(w, r)
	default:
		http.NotFound(w, r)
	}
}

// snapshot returns the cached HR snapshot read, reading it again when older than the TTL.
func (h *Handler) snapshot(ctx context.Context) *hrRead {
	if h.src.HR == nil {
		return nil
	}
	h.hrMu.Lock()
	defer h.hrMu.Unlock()
	now := h.now()
	if h.hrSnap != nil {
		last := h.hrSnap.at
		if h.hrSnap.errAt.After(last) {
			last = h.hrSnap.errAt
		}
		if now.Sub(last) < h.hrTTL {
			return h.hrSnap
		}
	}
	start := time.Now()
	snap, err := h.src.HR.Snapshot(ctx)
	next := &hrRead{}
	if h.hrSnap != nil {
		*next = *h.hrSnap
	}
	if err != nil {
		h.logger.Warn("report: read HR snapshot", "error", err)
		next.err, next.errAt = fmt.Errorf("read HR snapshot: %w", err), now
	} else {
		next.snap, next.at, next.err, next.errAt = snap, now, nil, time.Time{}
		next.tookMS = time.Since(start).Milliseconds()
	}
	h.hrSnap = next
	return next
}
