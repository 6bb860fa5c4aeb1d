package graphbudget

import "testing"

// FakeClock is the package tests' clock, for the external tests.
type FakeClock = fakeClock

// NewFakeClock returns a FakeClock at a fixed moment.
func NewFakeClock() *FakeClock { return newFakeClock() }

// WaitPending blocks until n timers are registered.
func (c *fakeClock) WaitPending(t *testing.T, n int) {
	t.Helper()
	c.waitPending(t, n)
}
