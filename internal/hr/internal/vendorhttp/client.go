// Package vendorhttp is the HTTP plumbing the HR connectors share: JSON
// requests with retries on rate limiting (honouring Retry-After), a request
// pacer for per-minute quotas, OAuth 2.0 client-credentials tokens, and
// errors that name the setting to fix without ever echoing a secret.
package vendorhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxBody is the largest response body read from a vendor.
const MaxBody = 64 << 20

// AuthError is returned for 401 / 403 replies. Its message names the
// settings to check and never contains the credentials.
type AuthError struct {
	Vendor string
	Status int
	// Hint names the settings, e.g. "LIFECYCLE_AFAS_TOKEN".
	Hint string
	// What is "token endpoint" or the request path.
	What string
	// Body is the start of the reply body (not part of Error), for callers
	// that tell refusals apart by the vendor's error code.
	Body string
}

// Error implements error.
func (e *AuthError) Error() string {
	return fmt.Sprintf("%s: %d %s from %s: check %s", e.Vendor, e.Status, http.StatusText(e.Status), e.What, e.Hint)
}

// StatusError is returned for other non-2xx replies.
type StatusError struct {
	Vendor string
	Method string
	Path   string
	Status int
	// Body is the start of the reply body, for the operator.
	Body string
}

// Error implements error.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s: %s %s: %d %s", e.Vendor, e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// IsStatus reports whether err is a StatusError or AuthError with status code.
func IsStatus(err error, code int) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status == code
	}
	var ae *AuthError
	return errors.As(err, &ae) && ae.Status == code
}

// Client sends JSON requests to one vendor.
type Client struct {
	// HTTP is the client used; nil means http.DefaultClient.
	HTTP *http.Client
	// Vendor prefixes every error ("afas").
	Vendor string
	// AuthHint names the settings an AuthError tells the operator to check.
	AuthHint string
	// Auth adds credentials to a request.
	Auth func(ctx context.Context, req *http.Request) error
	// MaxAttempts bounds tries per request on 429 / 502 / 503 / 504 and
	// network errors (default 5).
	MaxAttempts int
	// MaxWait caps a single wait between tries (default 2 minutes).
	MaxWait time.Duration
	// Pacer, when set, spaces requests out to respect a quota.
	Pacer *Pacer
	// Sleep waits; tests replace it. Default: a timer honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives retry notices (default slog.Default()).
	Logger *slog.Logger
}

// Get fetches rawURL and decodes the JSON reply into out.
func (c *Client) Get(ctx context.Context, rawURL string, out any) error {
	return c.Do(ctx, http.MethodGet, rawURL, nil, out)
}

// Do sends body (JSON-encoded when not nil) and decodes the reply into out
// (when not nil). It retries on rate limiting and transient server errors.
func (c *Client) Do(ctx context.Context, method, rawURL string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%s: encode request: %w", c.Vendor, err)
		}
	}
	path := pathOf(rawURL)
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	var lastErr error
	for attempt := 1; attempt <= attempts; attempt++ {
		if c.Pacer != nil {
			if err := c.Pacer.Wait(ctx); err != nil {
				return fmt.Errorf("%s: %s %s: %w", c.Vendor, method, path, err)
			}
		}
		wait, err := c.once(ctx, method, rawURL, path, payload, out)
		if err == nil {
			return nil
		}
		if wait < 0 || attempt == attempts {
			if wait >= 0 {
				return fmt.Errorf("%s: giving up after %d attempts: %w", c.Vendor, attempt, err)
			}
			return err
		}
		lastErr = err
		if wait == 0 {
			wait = time.Duration(1<<(attempt-1)) * time.Second
		}
		if max := c.maxWait(); wait > max {
			wait = max
		}
		c.logger().Warn("HR source busy, retrying", "vendor", c.Vendor, "path", path, "attempt", attempt, "wait", wait, "error", err.Error())
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %s %s: %w (after %v)", c.Vendor, method, path, err, lastErr)
		}
	}
	return lastErr
}

// once performs one try. wait < 0 means the error is final; wait >= 0 means
// retry after wait (0: use backoff).
func (c *Client) once(ctx context.Context, method, rawURL, path string, payload []byte, out any) (time.Duration, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return -1, fmt.Errorf("%s: build request for %s: %w", c.Vendor, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if c.Auth != nil {
		if err := c.Auth(ctx, req); err != nil {
			return -1, err
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return -1, fmt.Errorf("%s: %s %s: %w", c.Vendor, method, path, ctx.Err())
		}
		return 0, fmt.Errorf("%s: %s %s: %w", c.Vendor, method, path, redactURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return 0, fmt.Errorf("%s: %s %s: read reply: %w", c.Vendor, method, path, err)
	}
	if len(data) > MaxBody {
		return -1, fmt.Errorf("%s: %s %s: reply larger than %d bytes", c.Vendor, method, path, MaxBody)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return -1, &AuthError{Vendor: c.Vendor, Status: resp.StatusCode, Hint: c.AuthHint, What: path, Body: snippet(data)}
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusBadGateway ||
		resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout:
		return RetryAfter(resp.Header.Get("Retry-After"), time.Now()), &StatusError{Vendor: c.Vendor, Method: method, Path: path, Status: resp.StatusCode, Body: snippet(data)}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return -1, &StatusError{Vendor: c.Vendor, Method: method, Path: path, Status: resp.StatusCode, Body: snippet(data)}
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return 0, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return -1, fmt.Errorf("%s: %s %s: reply is not the expected JSON: %w", c.Vendor, method, path, err)
	}
	return 0, nil
}

// RetryAfter parses a Retry-After header (seconds or an HTTP date); 0 when
// absent or unreadable.
func RetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func (c *Client) maxWait() time.Duration {
	if c.MaxWait > 0 {
		return c.MaxWait
	}
	return 2 * time.Minute
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	return SleepCtx(ctx, d)
}

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// SleepCtx waits for d or until ctx is done.
func SleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Path
}

// redactURLError drops the query string from url.Error messages: queries
// may carry filter values, and some vendors accept keys there.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, pathOf(ue.URL), ue.Err)
	}
	return err
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// Pacer spaces calls at least Interval apart (100 calls per minute is an
// Interval of 600ms). It is safe for concurrent use.
type Pacer struct {
	Interval time.Duration
	// Now and Sleep are replaceable for tests.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	next time.Time
}

// Wait blocks until the next call may go out.
func (p *Pacer) Wait(ctx context.Context) error {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	p.mu.Lock()
	t := now()
	at := p.next
	if at.Before(t) {
		at = t
	}
	p.next = at.Add(p.Interval)
	p.mu.Unlock()
	sleep := SleepCtx
	if p.Sleep != nil {
		sleep = p.Sleep
	}
	return sleep(ctx, at.Sub(t))
}

// ClientCredentials fetches and caches an OAuth 2.0 access token with the
// client-credentials grant (RFC 6749 section 4.4).
type ClientCredentials struct {
	Vendor       string
	TokenURL     string
	ClientID     string
	ClientSecret string
	// Scope is sent when not empty.
	Scope string
	// Extra form fields (e.g. a tenant id, or a refresh_token).
	Extra url.Values
	// GrantType defaults to "client_credentials"; "refresh_token" (with
	// the token in Extra) serves APIs whose clients hold a refresh token.
	GrantType string
	// Hint names the settings to check when the token is refused.
	Hint string
	HTTP *http.Client
	Now  func() time.Time

	mu     sync.Mutex
	token  string
	expiry time.Time
}

// Token returns a valid access token, fetching a new one when the cached
// one expires within a minute.
func (c *ClientCredentials) Token(ctx context.Context) (string, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && now().Add(time.Minute).Before(c.expiry) {
		return c.token, nil
	}
	form := url.Values{}
	for k, v := range c.Extra {
		form[k] = v
	}
	grant := c.GrantType
	if grant == "" {
		grant = "client_credentials"
	}
	form.Set("grant_type", grant)
	form.Set("client_id", c.ClientID)
	form.Set("client_secret", c.ClientSecret)
	if c.Scope != "" {
		form.Set("scope", c.Scope)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("%s: token request: %w", c.Vendor, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s: token endpoint: %w", c.Vendor, redactURLError(err))
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	// A refused client is 400 invalid_client or 401 (RFC 6749 section 5.2).
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden ||
		(resp.StatusCode == http.StatusBadRequest && bytes.Contains(data, []byte("invalid_client"))) {
		return "", &AuthError{Vendor: c.Vendor, Status: resp.StatusCode, Hint: c.Hint, What: "token endpoint"}
	}
	if resp.StatusCode != http.StatusOK {
		// The body is not echoed: token endpoints may repeat the request.
		return "", fmt.Errorf("%s: token endpoint: %d %s", c.Vendor, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(data, &tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("%s: token endpoint replied without an access_token", c.Vendor)
	}
	if tr.ExpiresIn <= 0 {
		tr.ExpiresIn = 300
	}
	c.token, c.expiry = tr.AccessToken, now().Add(time.Duration(tr.ExpiresIn)*time.Second)
	return c.token, nil
}
