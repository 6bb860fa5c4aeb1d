package graphbudget

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBatchBody bounds how much of a $batch body is read to count its writes or find its
// throttled answers; Graph's own limit is 20 requests per batch.
const maxBatchBody = 16 << 20

// Wrap returns a transport that takes a token from the budget before each Graph write and
// pauses all writes on a 429, sending through next (http.DefaultTransport when nil). Put it
// under the Graph client (directory.WithTransport), outside any metrics transport so those
// measure Graph's latency, not the wait.
func (b *Budget) Wrap(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if b == nil {
		return next
	}
	return &transport{b: b, next: next}
}

type transport struct {
	b    *Budget
	next http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	batch := isBatch(req)
	writes := 0
	switch {
	case batch:
		var body []byte
		var err error
		if body, err = readBody(req); err != nil {
			return nil, err
		}
		if body != nil {
			// RoundTrip must not change the caller's request: send a copy with the body.
			req = req.Clone(req.Context())
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			writes = BatchWrites(body, req.Header.Get("Content-Encoding"))
		}
	case IsWrite(req.Method) && !outsideIdentityQuota(req.URL.Path):
		writes = 1
	}
	if err := t.b.Wait(req.Context(), writes); err != nil {
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	now := t.b.clock.Now()
	if resp.StatusCode == http.StatusTooManyRequests {
		if d, ok := RetryAfter(resp.Header.Get("Retry-After"), now); ok {
			t.b.Pause(d, fmt.Sprintf("429 to %s %s", req.Method, req.URL.Path))
		}
		return resp, nil
	}
	if batch && resp.StatusCode < 300 && resp.Body != nil {
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBatchBody))
		resp.Body.Close()
		if rerr != nil {
			return nil, fmt.Errorf("read the $batch answer: %w", rerr)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if d, ok := BatchRetryAfter(body, resp.Header.Get("Content-Encoding"), now); ok {
			t.b.Pause(d, "429 inside a $batch answer")
		}
	}
	return resp, nil
}

// IsWrite reports whether an HTTP method writes: POST, PATCH, PUT and DELETE, the methods
// Graph's write limits count.
func IsWrite(method string) bool {
	switch strings.ToUpper(method) {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// outsideIdentityQuota reports a write another service's limits govern: mail sent through
// /users/{id}/sendMail counts under Outlook's per-mailbox limits
// (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits), not under
// the identity write quota the budget paces.
func outsideIdentityQuota(path string) bool {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	return strings.HasSuffix(strings.ToLower(path), "/sendmail")
}

// isBatch reports a JSON batch envelope: POST <version>/$batch
// (https://learn.microsoft.com/graph/json-batching).
func isBatch(req *http.Request) bool {
	return req.Method == http.MethodPost && req.URL != nil && strings.HasSuffix(req.URL.Path, "/$batch")
}

// readBody reads and closes req.Body; nil when there is none.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	body, err := io.ReadAll(io.LimitReader(req.Body, maxBatchBody))
	if err != nil {
		return nil, fmt.Errorf("read the $batch request: %w", err)
	}
	return body, nil
}

// decoded is body without its content encoding (the Graph SDK gzips request bodies).
func decoded(body []byte, encoding string) ([]byte, bool) {
	if !strings.EqualFold(strings.TrimSpace(encoding), "gzip") {
		return body, true
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, false
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxBatchBody))
	if err != nil {
		return nil, false
	}
	return out, true
}

// BatchWrites counts the write requests in a $batch request body
// ({"requests":[{"method":...},...]}, https://learn.microsoft.com/graph/json-batching):
// Graph evaluates each request of a batch against its limits on its own
// (https://learn.microsoft.com/graph/throttling#throttling-and-batching). A body that cannot
// be read counts as one write: Graph refuses it as a whole.
func BatchWrites(body []byte, encoding string) int {
	plain, ok := decoded(body, encoding)
	var doc struct {
		Requests []struct {
			Method string `json:"method"`
			URL    string `json:"url"`
		} `json:"requests"`
	}
	if !ok || json.Unmarshal(plain, &doc) != nil {
		return 1
	}
	n := 0
	for _, r := range doc.Requests {
		if IsWrite(r.Method) && !outsideIdentityQuota(r.URL) {
			n++
		}
	}
	return n
}

// BatchRetryAfter finds the longest Retry-After among the throttled (429) answers of a
// $batch response body: Graph answers the batch 200 and throttles requests inside it, each
// with its own retry-after header (https://learn.microsoft.com/graph/throttling#throttling-and-batching).
func BatchRetryAfter(body []byte, encoding string, now time.Time) (time.Duration, bool) {
	plain, ok := decoded(body, encoding)
	if !ok {
		return 0, false
	}
	var doc struct {
		Responses []struct {
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
		} `json:"responses"`
	}
	if json.Unmarshal(plain, &doc) != nil {
		return 0, false
	}
	var longest time.Duration
	found := false
	for _, r := range doc.Responses {
		if r.Status != http.StatusTooManyRequests {
			continue
		}
		for k, v := range r.Headers {
			if !strings.EqualFold(k, "Retry-After") {
				continue
			}
			if d, ok := RetryAfter(v, now); ok && d > longest {
				longest, found = d, true
			}
		}
	}
	return longest, found
}

// RetryAfter parses a Retry-After value: delay seconds or an HTTP date (RFC 9110 section
// 10.2.3). Only a positive delay counts.
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		d = time.Duration(min(secs, maxPause.Seconds()) * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d <= 0 {
		return 0, false
	}
	return d, true
}
