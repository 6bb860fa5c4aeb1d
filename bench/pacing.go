package main

import (
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/entralifecycle/engine/internal/graphbudget"
)

// wrapGraphTransport puts the engine's tenant Graph write budget
// (internal/graphbudget, the same pacing the worker uses) under the
// benchmark's directory client: rt carries the requests, writesPerSecond is
// the budget and window the quota's window (the budget keeps its burst inside
// it). One worker runs, so the worker's share is the whole budget.
func wrapGraphTransport(rt http.RoundTripper, writesPerSecond float64, window time.Duration) http.RoundTripper {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := graphbudget.New(writesPerSecond, graphbudget.Fixed(1), graphbudget.WithQuotaWindow(window), graphbudget.WithLogger(quiet))
	return b.Wrap(rt)
}
