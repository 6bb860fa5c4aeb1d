package graphsim

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Config holds the simulator's tunable realism settings (the JSON body of
// GET and PUT /_sim/config). The zero value behaves as before these settings
// existed: objects are visible at once and writes are never throttled.
type Config struct {
	// ReplicationLagMs is how long, in milliseconds, a user created (or
	// restored) through the Graph API stays invisible to reads by id or UPN,
	// to $filter lookups and as the target of reference writes, as Entra ID's
	// eventual consistency does (https://learn.microsoft.com/graph/best-practices-concept#handling-expected-errors,
	// "Eventual consistency"). 0 disables the lag.
	ReplicationLagMs int `json:"replicationLagMs"`
	// WriteQuota is how many writes are allowed per window; a write beyond it
	// answers 429 with Retry-After. 0 means unlimited. Entra ID's identity
	// limit is 3,000 writes per 150 s per app and tenant
	// (https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits).
	WriteQuota int `json:"writeQuota"`
	// WriteQuotaWindowSeconds is the sliding window of WriteQuota and of the
	// maxWritesInWindow statistic; 0 means the default, 150.
	WriteQuotaWindowSeconds int `json:"writeQuotaWindowSeconds"`
}

// defaultWriteWindow is Entra ID's identity write window: 2 min 30 s.
const defaultWriteWindow = 150

// maxReplicationLagMs bounds ReplicationLagMs (10 minutes) so a typo cannot
// hide every new object for hours.
const maxReplicationLagMs = 600_000

// normalized fills defaults.
func (c Config) normalized() Config {
	if c.WriteQuotaWindowSeconds == 0 {
		c.WriteQuotaWindowSeconds = defaultWriteWindow
	}
	return c
}

// validate reports what is wrong with c.
func (c Config) validate() error {
	var errs []error
	if c.ReplicationLagMs < 0 || c.ReplicationLagMs > maxReplicationLagMs {
		errs = append(errs, fmt.Errorf("replicationLagMs must be between 0 and %d, got %d", maxReplicationLagMs, c.ReplicationLagMs))
	}
	if c.WriteQuota < 0 {
		errs = append(errs, fmt.Errorf("writeQuota must be 0 (unlimited) or positive, got %d", c.WriteQuota))
	}
	if c.WriteQuotaWindowSeconds < 0 || c.WriteQuotaWindowSeconds > 3600 {
		errs = append(errs, fmt.Errorf("writeQuotaWindowSeconds must be between 1 and 3600 (0 = default %d), got %d", defaultWriteWindow, c.WriteQuotaWindowSeconds))
	}
	return errors.Join(errs...)
}

// Config returns the current settings, with defaults filled in.
func (s *Sim) Config() Config {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	return s.cfg
}

// SetConfig validates and applies c. A changed replication lag applies to
// objects created afterwards; a changed quota applies to the next write.
func (s *Sim) SetConfig(c Config) error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("graphsim config: %w", err)
	}
	s.cfgMu.Lock()
	s.cfg = c.normalized()
	s.cfgMu.Unlock()
	return nil
}

// SetClock replaces the simulator's clock (time.Now by default), so tests can
// move time forward without sleeping. It affects replication lag, the write
// quota window, timestamps and Temporary Access Pass validity.
func (s *Sim) SetClock(now func() time.Time) {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	if now == nil {
		now = time.Now
	}
	s.nowFn = now
}

// clock returns the current simulated time in UTC.
func (s *Sim) clock() time.Time {
	s.cfgMu.Lock()
	f := s.nowFn
	s.cfgMu.Unlock()
	return f().UTC()
}

// writeLog is the sliding record of write times for the quota and the
// maxWritesInWindow statistic.
type writeLog struct {
	times []time.Time // ascending; times[head:] are live
	head  int
}

func (l *writeLog) prune(cutoff time.Time) {
	for l.head < len(l.times) && !l.times[l.head].After(cutoff) {
		l.head++
	}
	if l.head > 1024 && l.head*2 > len(l.times) {
		l.times = append(l.times[:0], l.times[l.head:]...)
		l.head = 0
	}
}

func (l *writeLog) len() int { return len(l.times) - l.head }

// admitWrite records one write at now. When the quota is full it returns the
// seconds until a slot frees and false.
func (s *Sim) admitWrite(now time.Time) (int, bool) {
	cfg := s.Config()
	window := time.Duration(cfg.WriteQuotaWindowSeconds) * time.Second
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.writes.prune(now.Add(-window))
	if cfg.WriteQuota > 0 && s.writes.len() >= cfg.WriteQuota {
		s.stats.Throttled++
		wait := s.writes.times[s.writes.head].Add(window).Sub(now)
		secs := int((wait + time.Second - 1) / time.Second)
		if secs < 1 {
			secs = 1
		}
		return secs, false
	}
	s.writes.times = append(s.writes.times, now)
	s.stats.QuotaWrites++
	if n := s.writes.len(); n > s.stats.MaxWritesInWindow {
		s.stats.MaxWritesInWindow = n
	}
	return 0, true
}

// throttled is Graph's 429 answer to a write over the quota
// (https://learn.microsoft.com/graph/throttling#sample-response).
func (s *Sim) throttled(c *call, retryAfter int) *response {
	r := s.fail(c, http.StatusTooManyRequests, "TooManyRequests",
		"Too many requests. The write quota of this application in this tenant is exhausted; retry after the time given in Retry-After.")
	r.header.Set("Retry-After", strconv.Itoa(retryAfter))
	return r
}

// outsideIdentityQuota reports whether writes to a route template are counted by another
// service's limits than Entra ID's identity write quota: mail sent through
// /users/{id}/sendMail falls under Outlook's service limits (per mailbox,
// https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits), not under
// the identity and access limits
// (https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits).
// Such writes are still counted in Stats.Writes, but not in QuotaWrites, the quota or
// maxWritesInWindow.
func outsideIdentityQuota(template string) bool {
	return template == "/users/{id}/sendMail"
}

// isWrite reports whether an HTTP method is a write.
func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}
