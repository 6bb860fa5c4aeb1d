package graphbudget

import (
	"context"
	"io"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"
)

// fakeClock moves only when Advance is called; After registers a timer Advance fires.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- c.now
	}
	c.timers = kept
}

// pending is the number of timers not yet fired.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// waitPending blocks (without judging time) until n timers are registered.
func (c *fakeClock) waitPending(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.pending() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d timers pending, want %d", c.pending(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestShare(t *testing.T) {
	for _, tc := range []struct {
		perSecond float64
		workers   int
		want      float64
	}{
		{20, 1, 20},
		{20, 4, 5},
		{20, 3, 20.0 / 3},
		{20, 0, 20},  // never below one worker
		{20, -2, 20}, // nor a negative count
		{100, 10, 10},
	} {
		if got := Share(tc.perSecond, tc.workers); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Share(%v, %d) = %v, want %v", tc.perSecond, tc.workers, got, tc.want)
		}
	}
}

func TestSustained(t *testing.T) {
	for _, tc := range []struct {
		share         float64
		burst, window time.Duration
		want          float64
	}{
		{20, time.Second, 150 * time.Second, 20 * (1 - 1.0/150)},
		{100, 100 * time.Millisecond, time.Second, 90},
		{20, 0, 150 * time.Second, 20},
		{20, time.Second, 0, 20},               // no window: the share itself
		{20, 2 * time.Second, time.Second, 20}, // a burst longer than the window is ignored
		{5, 500 * time.Millisecond, 10 * time.Second, 4.75},
	} {
		if got := sustained(tc.share, tc.burst, tc.window); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("sustained(%v, %v, %v) = %v, want %v", tc.share, tc.burst, tc.window, got, tc.want)
		}
	}
}

// The bucket releases the burst at once, then one write per interval; a batch larger than
// the burst waits for its whole cost.
func TestReserveReleases(t *testing.T) {
	for _, tc := range []struct {
		name      string
		perSecond float64
		workers   int
		burst     time.Duration
		sizes     []int
		want      []time.Duration // release offsets from the start
	}{
		{"burst then rate", 10, 1, time.Second, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
			[]time.Duration{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond}},
		{"share of two workers", 10, 2, time.Second, []int{1, 1, 1, 1, 1, 1, 1},
			[]time.Duration{0, 0, 0, 0, 0, 200 * time.Millisecond, 400 * time.Millisecond}},
		{"batch over the burst", 10, 1, time.Second, []int{25, 1},
			[]time.Duration{1500 * time.Millisecond, 1600 * time.Millisecond}},
		{"burst below one write", 2, 1, 100 * time.Millisecond, []int{1, 1, 1},
			[]time.Duration{0, 500 * time.Millisecond, time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			b := New(tc.perSecond, Fixed(tc.workers), WithClock(clock), WithBurst(tc.burst), WithQuotaWindow(0), WithLogger(quiet()))
			b.SetWorkers(tc.workers)
			start := clock.Now()
			for i, n := range tc.sizes {
				if got := b.reserve(start, n).Sub(start); got != tc.want[i] {
					t.Errorf("write %d (%d): released at +%v, want +%v", i, n, got, tc.want[i])
				}
			}
		})
	}
}

// With the default window and burst, no 150 s window ever holds more than the tenant's
// 3,000 writes, whatever the number of workers, and the bucket is not much slower.
func TestQuotaWindowNeverOverrun(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 7} {
		clock := newFakeClock()
		b := New(DefaultPerSecond, Fixed(workers), WithClock(clock), WithLogger(quiet()))
		b.SetWorkers(workers)
		start := clock.Now()
		// Each worker runs the same bucket; simulate one and multiply.
		var releases []time.Time
		for range 4000 / workers {
			releases = append(releases, b.reserve(start, 1))
		}
		most := 0
		j := 0
		for i := range releases {
			for releases[i].Sub(releases[j]) >= DefaultQuotaWindow {
				j++
			}
			most = max(most, i-j+1)
		}
		if total := most * workers; total > 3000 || total < 2950 {
			t.Errorf("%d workers: %d writes in the busiest 150 s window, want 2,950–3,000", workers, total)
		}
	}
}

// Wait blocks until the bucket releases the write, then returns; a cancelled wait gives its
// tokens back.
func TestWaitBlocksUntilReleased(t *testing.T) {
	clock := newFakeClock()
	b := New(10, Fixed(1), WithClock(clock), WithBurst(100*time.Millisecond), WithQuotaWindow(0), WithLogger(quiet()))
	ctx := context.Background()
	if err := b.Wait(ctx, 1); err != nil { // the burst: one write
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Wait(ctx, 1) }()
	clock.waitPending(t, 1)
	select {
	case err := <-done:
		t.Fatalf("second write released before its interval: %v", err)
	default:
	}
	clock.Advance(100 * time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	cctx, cancel := context.WithCancel(ctx)
	go func() { done <- b.Wait(cctx, 5) }()
	clock.waitPending(t, 1)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled wait returned no error")
	}
	// The cancelled five writes were given back: the next write goes one interval after the
	// last one released.
	if got := b.reserve(clock.Now(), 1).Sub(clock.Now()); got != 100*time.Millisecond {
		t.Errorf("next write at +%v after a cancelled wait, want +100ms", got)
	}
}

// A pause holds a writer that was already waiting, and one that comes during it, until the
// pause ends; the first write after it goes at its end, without a burst.
func TestPauseHoldsEveryWriter(t *testing.T) {
	clock := newFakeClock()
	b := New(1, Fixed(1), WithClock(clock), WithBurst(time.Second), WithQuotaWindow(0), WithLogger(quiet()))
	ctx := context.Background()
	if err := b.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan error, 1)
	go func() { waiting <- b.Wait(ctx, 1) }() // booked for +1 s
	clock.waitPending(t, 1)
	b.Pause(10*time.Second, "test")
	clock.Advance(time.Second) // its booking comes due inside the pause: it books again
	clock.waitPending(t, 1)
	select {
	case <-waiting:
		t.Fatal("a writer went during the pause")
	default:
	}
	late := make(chan error, 1)
	go func() { late <- b.Wait(ctx, 1) }()
	clock.waitPending(t, 2)
	clock.Advance(9 * time.Second) // the pause ends: one of them goes now
	clock.Advance(time.Second)     // the other one interval later
	for _, ch := range []chan error{waiting, late} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if got := clock.Now().Sub(b.PausedUntil()); got != time.Second {
		t.Errorf("both writers released %v after the pause's end, want 1s", got)
	}
}

// A shorter pause does not cut a longer one short, and an unpaced budget still pauses.
func TestPauseExtendsOnly(t *testing.T) {
	clock := newFakeClock()
	b := New(0, nil, WithClock(clock), WithLogger(quiet()))
	start := clock.Now()
	b.Pause(10*time.Second, "first")
	b.Pause(3*time.Second, "shorter")
	if got := b.PausedUntil().Sub(start); got != 10*time.Second {
		t.Fatalf("paused for %v, want 10s", got)
	}
	if got := b.reserve(start, 1).Sub(start); got != 10*time.Second {
		t.Errorf("unpaced budget releases at +%v during a pause, want +10s", got)
	}
	if got := b.reserve(start.Add(11*time.Second), 1); !got.Equal(start.Add(11 * time.Second)) {
		t.Errorf("unpaced budget holds a write after the pause")
	}
	b.Pause(time.Hour, "garbled")
	if got := b.PausedUntil().Sub(start); got != maxPause {
		t.Errorf("an hour's pause lasts %v, want the cap %v", got, maxPause)
	}
}

// The share follows the worker count, at least one.
func TestRefreshSetsShare(t *testing.T) {
	counter := &countStub{n: 4}
	b := New(20, counter, WithLogger(quiet()), WithQuotaWindow(0))
	if err := b.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rate, n := b.Rate(); n != 4 || math.Abs(rate-5) > 1e-6 {
		t.Errorf("4 workers: %v writes/s with %d workers, want 5 with 4", rate, n)
	}
	counter.n = 0
	if err := b.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rate, n := b.Rate(); n != 1 || math.Abs(rate-20) > 1e-6 {
		t.Errorf("0 workers: %v writes/s with %d workers, want 20 with 1", rate, n)
	}
	counter.err = context.DeadlineExceeded
	counter.n = 10
	if err := b.Refresh(context.Background()); err == nil {
		t.Error("a failed count returned no error")
	}
	if _, n := b.Rate(); n != 1 {
		t.Errorf("a failed count changed the workers to %d", n)
	}
}

type countStub struct {
	n   int
	err error
}

func (c *countStub) Workers(context.Context) (int, error) { return c.n, c.err }
