package graphbudget

import (
	"context"
	"sync"
	"testing"
	"time"
)

// observed records an Observer's calls.
type observed struct {
	mu     sync.Mutex
	waits  []waitCall
	pauses []pauseCall
}

type waitCall struct {
	n    int
	d    time.Duration
	sent bool
}

type pauseCall struct {
	started bool
	added   time.Duration
}

func (o *observed) Waited(n int, d time.Duration, sent bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.waits = append(o.waits, waitCall{n, d, sent})
}

func (o *observed) Paused(started bool, added time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pauses = append(o.pauses, pauseCall{started, added})
}

func (o *observed) lastWait(t *testing.T) waitCall {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.waits) == 0 {
		t.Fatal("no wait observed")
	}
	return o.waits[len(o.waits)-1]
}

// The Observer hears of every Wait with the time it held its caller (the budget's clock),
// of a cancelled wait as not sent, and of each pause started or extended with the time it
// added; a shorter pause inside a longer one adds nothing and is not reported.
func TestObserverSeesWaitsAndPauses(t *testing.T) {
	clock := newFakeClock()
	obs := &observed{}
	b := New(10, Fixed(1), WithClock(clock), WithBurst(100*time.Millisecond), WithQuotaWindow(0), WithLogger(quiet()), WithObserver(obs))
	ctx := context.Background()

	if err := b.Wait(ctx, 1); err != nil { // the burst: at once
		t.Fatal(err)
	}
	if got, want := obs.lastWait(t), (waitCall{1, 0, true}); got != want {
		t.Errorf("immediate write: observed %+v, want %+v", got, want)
	}
	if err := b.Wait(ctx, 0); err != nil { // no writes: nothing to observe
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Wait(ctx, 3) }() // three writes: 300 ms behind
	clock.waitPending(t, 1)
	clock.Advance(300 * time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := obs.lastWait(t), (waitCall{3, 300 * time.Millisecond, true}); got != want {
		t.Errorf("paced batch: observed %+v, want %+v", got, want)
	}

	cctx, cancel := context.WithCancel(ctx)
	go func() { done <- b.Wait(cctx, 1) }()
	clock.waitPending(t, 1)
	clock.Advance(40 * time.Millisecond)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled wait returned no error")
	}
	if got, want := obs.lastWait(t), (waitCall{1, 40 * time.Millisecond, false}); got != want {
		t.Errorf("cancelled write: observed %+v, want %+v", got, want)
	}

	b.Pause(5*time.Second, "first")
	b.Pause(2*time.Second, "shorter")
	clock.Advance(time.Second)
	b.Pause(7*time.Second, "longer")
	clock.Advance(10 * time.Second)
	b.Pause(time.Second, "after")
	want := []pauseCall{{true, 5 * time.Second}, {false, 3 * time.Second}, {true, time.Second}}
	obs.mu.Lock()
	got := append([]pauseCall(nil), obs.pauses...)
	obs.mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("observed pauses %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("pause %d: observed %+v, want %+v", i, got[i], want[i])
		}
	}

	// A write during a pause is observed with the whole pause as its wait.
	go func() { done <- b.Wait(ctx, 1) }()
	clock.waitPending(t, 1)
	clock.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := obs.lastWait(t), (waitCall{1, time.Second, true}); got != want {
		t.Errorf("write during a pause: observed %+v, want %+v", got, want)
	}

	b.SetObserver(nil)
	before := len(obs.waits)
	clock.Advance(time.Minute)
	if err := b.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if len(obs.waits) != before {
		t.Error("a removed observer was still told of a wait")
	}
}

func TestState(t *testing.T) {
	clock := newFakeClock()
	for _, tc := range []struct {
		name      string
		perSecond float64
		workers   int
		pause     time.Duration
		elapsed   time.Duration
		want      State
	}{
		{"single worker", 20, 1, 0, 0, State{TenantPerSecond: 20, PerSecond: 20, Workers: 1}},
		{"shared by four", 20, 4, 0, 0, State{TenantPerSecond: 20, PerSecond: 5, Workers: 4}},
		{"unpaced", 0, 3, 0, 0, State{Workers: 3}},
		{"paused", 20, 2, 7 * time.Second, 2 * time.Second,
			State{TenantPerSecond: 20, PerSecond: 10, Workers: 2, PausedUntil: clock.Now().Add(7 * time.Second), PauseLeft: 5 * time.Second}},
		{"pause over", 20, 2, 7 * time.Second, 9 * time.Second,
			State{TenantPerSecond: 20, PerSecond: 10, Workers: 2, PausedUntil: clock.Now().Add(7 * time.Second)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeClock()
			b := New(tc.perSecond, nil, WithClock(c), WithQuotaWindow(0), WithLogger(quiet()))
			b.SetWorkers(tc.workers)
			b.Pause(tc.pause, "test")
			c.Advance(tc.elapsed)
			got := b.State()
			if !got.PausedUntil.Equal(tc.want.PausedUntil) {
				t.Errorf("paused until %v, want %v", got.PausedUntil, tc.want.PausedUntil)
			}
			got.PausedUntil, tc.want.PausedUntil = time.Time{}, time.Time{}
			if got.PerSecond-tc.want.PerSecond > 1e-9 || tc.want.PerSecond-got.PerSecond > 1e-9 {
				t.Errorf("rate %v, want %v", got.PerSecond, tc.want.PerSecond)
			}
			got.PerSecond, tc.want.PerSecond = 0, 0
			if got != tc.want {
				t.Errorf("state %+v, want %+v", got, tc.want)
			}
		})
	}
	if got := (*Budget)(nil).State(); got != (State{Workers: 1}) {
		t.Errorf("nil budget: %+v", got)
	}
}
