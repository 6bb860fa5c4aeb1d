package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// wrapGraphTransport puts the tenant's Graph write budget under the
// benchmark's directory client: rt carries the requests, writesPerSecond is
// the budget (the simulator's quota ÷ its window, with a small margin).
//
// This is the one place the benchmarks choose how Graph writes are paced.
// It holds a local pacer (localWritePacer) until the engine ships its own
// tenant write budget; then it becomes that budget's wrapper, so the
// benchmarks measure the product's pacing and not their own.
var wrapGraphTransport = func(rt http.RoundTripper, writesPerSecond float64) http.RoundTripper {
	return newLocalWritePacer(rt, writesPerSecond)
}

// localWritePacer is a token bucket over Graph writes (POST, PATCH, PUT,
// DELETE; a $batch costs one token per write inside it, as Graph counts the
// requests of a batch one by one: https://learn.microsoft.com/graph/throttling#throttling-and-batching).
// Reads pass unpaced. A 429 with Retry-After pauses every writer for that
// long, not only the request that got it.
type localWritePacer struct {
	next     http.RoundTripper
	interval time.Duration

	mu    sync.Mutex
	free  time.Time // when the next write token is free
	pause time.Time // no write before this (a Retry-After)
}

func newLocalWritePacer(next http.RoundTripper, perSecond float64) *localWritePacer {
	return &localWritePacer{next: next, interval: time.Duration(float64(time.Second) / perSecond)}
}

// RoundTrip implements http.RoundTripper.
func (p *localWritePacer) RoundTrip(req *http.Request) (*http.Response, error) {
	n, err := writesIn(req)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		if err := p.wait(req.Context(), n); err != nil {
			return nil, err
		}
	}
	resp, err := p.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && secs > 0 {
			p.mu.Lock()
			if until := time.Now().Add(time.Duration(secs) * time.Second); until.After(p.pause) {
				p.pause = until
			}
			p.mu.Unlock()
		}
	}
	return resp, err
}

// wait takes n write tokens, sleeping until they are free.
func (p *localWritePacer) wait(ctx context.Context, n int) error {
	p.mu.Lock()
	now := time.Now()
	at := p.free
	if at.Before(now) {
		at = now
	}
	if at.Before(p.pause) {
		at = p.pause
	}
	p.free = at.Add(time.Duration(n) * p.interval)
	p.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writesIn counts the Graph writes a request makes: 1 for a write, the
// writes inside a JSON $batch, 0 for a read.
func writesIn(req *http.Request) (int, error) {
	switch req.Method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
	default:
		return 0, nil
	}
	if req.Method != http.MethodPost || !strings.HasSuffix(strings.TrimRight(req.URL.Path, "/"), "/$batch") || req.Body == nil {
		return 1, nil
	}
	body, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return 0, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	// The SDK's compression middleware may have gzipped the body.
	var plain io.Reader = bytes.NewReader(body)
	if strings.EqualFold(req.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(plain)
		if err != nil {
			return 1, nil
		}
		defer zr.Close()
		plain = zr
	}
	var b struct {
		Requests []struct {
			Method string `json:"method"`
		} `json:"requests"`
	}
	if json.NewDecoder(plain).Decode(&b) != nil {
		return 1, nil
	}
	n := 0
	for _, r := range b.Requests {
		switch strings.ToUpper(r.Method) {
		case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
			n++
		}
	}
	return n, nil
}
