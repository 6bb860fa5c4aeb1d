// Package graphbudget keeps the engine's Microsoft Graph writes within the tenant's write
// quota, shared by every worker of the engine.
//
// Microsoft Graph allows an application 3,000 identity writes per 2 min 30 s in one tenant
// (about 20 per second) and answers 429 Too Many Requests with Retry-After past it
// (https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits,
// https://learn.microsoft.com/graph/throttling). That quota belongs to the application, so
// every worker process of the engine draws on the same one. Temporal's task-queue rate
// limit cannot enforce it: it counts activity tasks, and one activity may send several
// writes (or one $batch of twenty).
//
// A Budget is one process's part of the tenant's write budget:
//
//   - Wrap puts a write limiter under the Graph client: before every write (POST, PATCH, PUT,
//     DELETE; a $batch POST counts as the writes inside it) it takes tokens from a token
//     bucket that refills at this worker's share of the budget. Reads pass freely.
//   - The share is the tenant budget divided by the number of live workers, learned from
//     Temporal (Pollers: the distinct identities polling the task queue) and refreshed by Run.
//   - A 429 with Retry-After, to any request or inside a $batch answer, pauses every write of
//     the process for that long, not only the request that got it: Graph keeps counting a
//     throttled client's requests, so retrying at once only extends the throttling
//     (https://learn.microsoft.com/graph/throttling#best-practices-to-handle-throttling).
//     Reads are not paused: Graph's write limit is separate and reads may still be permitted
//     while writes are throttled (same page, "What happens when throttling occurs?"); a
//     throttled read comes back as an error and its activity retries it after Retry-After.
//
// State and an Observer let the worker export the share, the pause and the time writes
// waited as metrics (internal/metrics, Metrics.GraphBudget).
package graphbudget

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a Budget.
const (
	// DefaultPerSecond is Microsoft Graph's identity write limit per app and tenant:
	// 3,000 writes per 150 s.
	DefaultPerSecond = 20.0
	// DefaultQuotaWindow is the window of that limit.
	DefaultQuotaWindow = 150 * time.Second
	// DefaultBurst is how much of its share a worker may send at once after being idle.
	DefaultBurst = time.Second
	// DefaultRefresh is how often Run asks Temporal how many workers there are.
	DefaultRefresh = 15 * time.Second
	// maxPause bounds one pause, so a garbled Retry-After cannot stop writes for hours.
	maxPause = 5 * time.Minute
)

// Clock is the time source of a Budget; tests replace it to move time without sleeping.
type Clock interface {
	Now() time.Time
	// After delivers once d has passed, as time.After.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Option adjusts a Budget.
type Option func(*Budget)

// WithClock replaces the clock (time.Now and time.After by default).
func WithClock(c Clock) Option { return func(b *Budget) { b.clock = c } }

// WithLogger sets the logger of pauses and share changes (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(b *Budget) { b.log = l } }

// WithBurst sets how many seconds' worth of its share a worker may send at once after being
// idle (default DefaultBurst). At least one write is always allowed.
func WithBurst(d time.Duration) Option { return func(b *Budget) { b.burst = d } }

// WithQuotaWindow sets the window of the tenant's quota (default DefaultQuotaWindow). The
// sustained rate is lowered by the burst so that burst plus rate × window never exceeds
// perSecond × window: a full bucket spent at the start of a window cannot overrun it.
func WithQuotaWindow(d time.Duration) Option { return func(b *Budget) { b.window = d } }

// WithRefresh sets how often Run refreshes the worker count (default DefaultRefresh).
func WithRefresh(d time.Duration) Option { return func(b *Budget) { b.refresh = d } }

// WithObserver sets the Observer told of waits and pauses (none by default); SetObserver
// replaces it later.
func WithObserver(o Observer) Option { return func(b *Budget) { b.SetObserver(o) } }

// Observer is told what a Budget did, for metrics. Its methods are called on the write path
// after the Budget's lock is released, so they must be quick and must not block (a
// Prometheus counter or histogram is).
type Observer interface {
	// Waited reports one Wait for n writes (a $batch's writes together) that held its
	// caller for d, 0 when they went at once. sent is false when the caller's context
	// ended first and the writes were not sent.
	Waited(n int, d time.Duration, sent bool)
	// Paused reports a Retry-After that paused writes: started is true for a new pause,
	// false for one a later Retry-After extended; added is how much later writes resume
	// than they would have.
	Paused(started bool, added time.Duration)
}

// observerRef holds an Observer in an atomic.Pointer.
type observerRef struct{ o Observer }

// State is a Budget's figures at one moment, for metrics.
type State struct {
	// TenantPerSecond is the write budget of the whole tenant (0 or less: unpaced).
	TenantPerSecond float64
	// PerSecond is this worker's sustained write rate, as Rate reports it (0: unpaced).
	PerSecond float64
	// Workers is the number of workers the budget is shared with, at least 1.
	Workers int
	// PausedUntil is when the last pause ends or ended (zero: no pause yet).
	PausedUntil time.Time
	// PauseLeft is how long writes stay paused from now (0: not paused).
	PauseLeft time.Duration
}

// Budget is one process's share of the tenant's Graph write budget. It is safe for
// concurrent use. A nil *Budget limits nothing.
type Budget struct {
	perSecond float64
	workers   WorkerCounter
	clock     Clock
	log       *slog.Logger
	burst     time.Duration
	window    time.Duration
	refresh   time.Duration

	mu        sync.Mutex
	count     int  // live workers, at least 1
	announced bool // the share has been logged once
	// The bucket is a generic cell rate algorithm: tat is the theoretical arrival time of
	// the next write, interval the time one write costs, tolerance how far ahead of now tat
	// may run before a caller waits (the burst).
	tat       time.Time
	interval  time.Duration
	tolerance time.Duration
	paused    time.Time // no write is released before this

	// observer is read on every Wait without taking mu.
	observer atomic.Pointer[observerRef]
}

// New returns a Budget of perSecond writes per second for the whole tenant, shared among
// the workers workers counts (nil: this process alone). perSecond <= 0 paces nothing; a 429
// still pauses writes. Call Run to keep the worker count current.
func New(perSecond float64, workers WorkerCounter, opts ...Option) *Budget {
	if workers == nil {
		workers = Fixed(1)
	}
	b := &Budget{
		perSecond: perSecond,
		workers:   workers,
		clock:     realClock{},
		log:       slog.Default(),
		burst:     DefaultBurst,
		window:    DefaultQuotaWindow,
		refresh:   DefaultRefresh,
		count:     1,
	}
	for _, o := range opts {
		o(b)
	}
	b.setRateLocked()
	return b
}

// Share is one worker's part of the tenant budget: perSecond / workers, with at least one
// worker.
func Share(perSecond float64, workers int) float64 {
	return perSecond / float64(max(workers, 1))
}

// sustained is the refill rate that keeps burst plus rate × window within share × window.
func sustained(share float64, burst, window time.Duration) float64 {
	if window <= 0 || burst >= window {
		return share
	}
	return share * (1 - burst.Seconds()/window.Seconds())
}

// setRateLocked derives the bucket from perSecond and count.
func (b *Budget) setRateLocked() {
	if b.perSecond <= 0 {
		b.interval = 0
		return
	}
	share := Share(b.perSecond, b.count)
	rate := sustained(share, b.burst, b.window)
	b.interval = time.Duration(float64(time.Second) / rate)
	// The burst is burst seconds' worth of the share, at least one write; the bucket lets
	// that many writes go at once after an idle spell.
	tokens := max(math.Floor(b.burst.Seconds()*share), 1)
	b.tolerance = time.Duration(tokens) * b.interval
}

// Rate reports this worker's sustained write rate (writes per second; 0 when unpaced) and
// the number of workers it shares the budget with.
func (b *Budget) Rate() (perSecond float64, workers int) {
	if b == nil {
		return 0, 1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.interval <= 0 {
		return 0, b.count
	}
	return float64(time.Second) / float64(b.interval), b.count
}

// State reports the budget's figures now. A nil *Budget reports an unpaced budget of one
// worker.
func (b *Budget) State() State {
	if b == nil {
		return State{Workers: 1}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := State{TenantPerSecond: b.perSecond, Workers: b.count, PausedUntil: b.paused}
	if b.interval > 0 {
		s.PerSecond = float64(time.Second) / float64(b.interval)
	}
	if left := b.paused.Sub(b.clock.Now()); left > 0 {
		s.PauseLeft = left
	}
	return s
}

// SetObserver sets the Observer told of waits and pauses from now on (nil: none).
func (b *Budget) SetObserver(o Observer) {
	if b == nil {
		return
	}
	if o == nil {
		b.observer.Store(nil)
		return
	}
	b.observer.Store(&observerRef{o})
}

// waited tells the observer, if any, of one Wait.
func (b *Budget) waited(n int, d time.Duration, sent bool) {
	if r := b.observer.Load(); r != nil {
		r.o.Waited(n, d, sent)
	}
}

// SetWorkers sets the number of workers sharing the budget (at least 1), as Refresh does,
// and logs the share the first time and whenever it changes.
func (b *Budget) SetWorkers(n int) {
	n = max(n, 1)
	b.mu.Lock()
	changed := n != b.count || !b.announced
	b.announced = true
	b.count = n
	b.setRateLocked()
	b.mu.Unlock()
	if changed {
		rate, _ := b.Rate()
		b.log.Info("Graph write budget shared", "workers", n, "tenantWritesPerSecond", b.perSecond, "writesPerSecond", math.Round(rate*100)/100)
	}
}

// reserve books n writes at now and returns when they may be sent.
func (b *Budget) reserve(now time.Time, n int) time.Time {
	if b.interval <= 0 {
		if now.Before(b.paused) {
			return b.paused
		}
		return now
	}
	start := b.tat
	if start.Before(now) {
		start = now
	}
	b.tat = start.Add(time.Duration(n) * b.interval)
	release := b.tat.Add(-b.tolerance)
	if release.Before(now) {
		return now
	}
	return release
}

// unreserve gives back n writes booked by reserve that were not sent.
func (b *Budget) unreserve(now time.Time, n int) {
	if b.interval <= 0 {
		return
	}
	b.tat = b.tat.Add(-time.Duration(n) * b.interval)
	if b.tat.Before(now) {
		b.tat = now
	}
}

// Wait blocks until n writes may be sent, or ctx ends. A pause that starts while it waits
// holds it until the pause is over. The Observer is told how long it waited, after the lock
// is released.
func (b *Budget) Wait(ctx context.Context, n int) error {
	if b == nil || n <= 0 {
		return nil
	}
	var start time.Time
	for first := true; ; first = false {
		b.mu.Lock()
		now := b.clock.Now()
		release := b.reserve(now, n)
		b.mu.Unlock()
		if first {
			start = now
		}
		if !release.After(now) {
			b.waited(n, now.Sub(start), true)
			return nil
		}
		select {
		case <-ctx.Done():
			b.mu.Lock()
			now = b.clock.Now()
			b.unreserve(now, n)
			b.mu.Unlock()
			b.waited(n, now.Sub(start), false)
			return fmt.Errorf("waiting for the Graph write budget: %w", ctx.Err())
		case <-b.clock.After(release.Sub(now)):
		}
		b.mu.Lock()
		now = b.clock.Now()
		paused := now.Before(b.paused)
		b.mu.Unlock()
		if !paused {
			b.waited(n, now.Sub(start), true)
			return nil
		}
		// A pause began while this caller waited: book again, behind the pause.
	}
}

// Pause holds every write of the process for d from now (a 429's Retry-After). A pause
// that ends earlier than one already running changes nothing. reason names what asked for
// it in the log line, which is written once per pause, not for each 429 that extends it.
func (b *Budget) Pause(d time.Duration, reason string) {
	if b == nil || d <= 0 {
		return
	}
	d = min(d, maxPause)
	b.mu.Lock()
	now := b.clock.Now()
	until := now.Add(d)
	if !until.After(b.paused) {
		b.mu.Unlock()
		return
	}
	wasPaused := now.Before(b.paused)
	added := until.Sub(b.paused)
	if !wasPaused {
		added = d
	}
	b.paused = until
	if b.interval > 0 {
		// The bucket is empty when the pause ends: the first write goes at its end, the
		// next ones at the sustained rate, without a burst on top of the throttling.
		if t := until.Add(b.tolerance - b.interval); b.tat.Before(t) {
			b.tat = t
		}
	}
	b.mu.Unlock()
	if r := b.observer.Load(); r != nil {
		r.o.Paused(!wasPaused, added)
	}
	if !wasPaused {
		b.log.Warn("Microsoft Graph throttled: pausing all Graph writes of this worker", "for", d, "until", until.UTC().Format(time.RFC3339), "reason", reason)
	}
}

// PausedUntil reports when the current pause ends (zero or past when none).
func (b *Budget) PausedUntil() time.Time {
	if b == nil {
		return time.Time{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.paused
}

// Refresh asks the worker counter once and applies the answer. On an error the previous
// count stays.
func (b *Budget) Refresh(ctx context.Context) error {
	n, err := b.workers.Workers(ctx)
	if err != nil {
		return fmt.Errorf("count the workers sharing the Graph write budget: %w", err)
	}
	b.SetWorkers(n)
	return nil
}

// Run refreshes the worker count now and then every refresh interval until ctx ends.
// Failures are logged (once until the next success) and the last count stays.
func (b *Budget) Run(ctx context.Context) {
	if b == nil {
		return
	}
	failing := false
	for {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := b.Refresh(rctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			rate, n := b.Rate()
			b.log.Warn("Graph write budget: keeping the last worker count", "workers", n, "writesPerSecond", rate, "error", err)
			failing = true
		case err == nil:
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.refresh):
		}
	}
}
