package graphsim

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Sim is an in-memory Entra ID tenant served as Microsoft Graph v1.0. It is
// safe for concurrent use.
type Sim struct {
	mu sync.RWMutex
	t  *tenant

	faultMu sync.Mutex
	faults  []*Fault

	statsMu sync.Mutex
	stats   Stats

	latency time.Duration // guarded by faultMu

	cfgMu sync.Mutex
	cfg   Config
	nowFn func() time.Time

	writes writeLog // guarded by statsMu

	store *store // durable storage (PersistTo); nil when in memory only
}

// New returns a simulator with an empty tenant (no verified domains).
func New() *Sim {
	s := &Sim{t: newTenant(), nowFn: time.Now, cfg: Config{}.normalized()}
	s.stats.ByRoute = map[string]int{}
	return s
}

// NewServer returns an http.Server serving s on addr, ready for ListenAndServe
// or Serve(listener).
func NewServer(addr string, s *Sim) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
	}
}

// Reset empties the tenant and clears statistics, faults and latency; the
// Config is kept. With PersistTo, the stored tenant is emptied too.
func (s *Sim) Reset() {
	s.mu.Lock()
	s.t = newTenant()
	if s.store != nil {
		s.t.dirty = map[string]struct{}{}
		if err := s.persistAll(); err != nil {
			slog.Error("graphsim: persisting reset failed", "error", err)
		}
	}
	s.mu.Unlock()
	s.faultMu.Lock()
	s.faults = nil
	s.latency = 0
	s.faultMu.Unlock()
	s.ResetStats()
}

// Stats are request counters. Reads are GET requests, Writes are POST, PATCH,
// PUT and DELETE requests except the $batch envelope (see the package
// documentation). ByRoute counts requests by "METHOD /path/template".
type Stats struct {
	Reads   int            `json:"reads"`
	Writes  int            `json:"writes"`
	ByRoute map[string]int `json:"byRoute"`
	// MaxWritesInWindow is the most writes seen in any sliding window of
	// Config.WriteQuotaWindowSeconds (150 s by default).
	MaxWritesInWindow int `json:"maxWritesInWindow"`
	// Throttled counts the 429 answers given because of Config.WriteQuota.
	Throttled int `json:"throttled"`
	// QuotaWrites counts the writes admitted under Entra ID's identity write quota:
	// Writes without those another service's limits govern (mail sent).
	QuotaWrites int `json:"quotaWrites"`
}

// Stats returns a copy of the request counters.
func (s *Sim) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := Stats{Reads: s.stats.Reads, Writes: s.stats.Writes, ByRoute: make(map[string]int, len(s.stats.ByRoute)),
		MaxWritesInWindow: s.stats.MaxWritesInWindow, Throttled: s.stats.Throttled, QuotaWrites: s.stats.QuotaWrites}
	for k, v := range s.stats.ByRoute {
		out.ByRoute[k] = v
	}
	return out
}

// ResetStats clears the request counters.
func (s *Sim) ResetStats() {
	s.statsMu.Lock()
	s.stats = Stats{ByRoute: map[string]int{}}
	s.statsMu.Unlock()
}

// count records one request under its route template.
func (s *Sim) count(method, template string, envelope bool) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.stats.ByRoute[method+" "+template]++
	if envelope {
		return
	}
	switch method {
	case http.MethodGet, http.MethodHead:
		s.stats.Reads++
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		s.stats.Writes++
	}
}

// Fault is an injected failure or delay (the JSON body of POST /_sim/faults).
type Fault struct {
	// Method restricts the fault to one HTTP method; empty matches any.
	Method string `json:"method,omitempty"`
	// Path is a prefix of the request path after /v1.0, e.g. "/users"; "*"
	// or "{...}" segments match any one segment.
	Path string `json:"path"`
	// Status is the HTTP status to answer; 0 only delays the request.
	Status int `json:"status"`
	// RetryAfter, in seconds, is sent as the Retry-After header when > 0.
	RetryAfter int `json:"retryAfter,omitempty"`
	// Count is how many matching requests the fault affects (1 when <= 0).
	Count int `json:"count"`
	// LatencyMs delays each affected request.
	LatencyMs int `json:"latencyMs,omitempty"`
	// Code and Message override the Graph error code and message.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// InjectFault adds a fault; see Fault.
func (s *Sim) InjectFault(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	f.Method = strings.ToUpper(f.Method)
	if f.Path != "" && !strings.HasPrefix(f.Path, "/") {
		f.Path = "/" + f.Path
	}
	s.faultMu.Lock()
	s.faults = append(s.faults, &f)
	s.faultMu.Unlock()
}

// Faults returns the faults still pending, with their remaining counts.
func (s *Sim) Faults() []Fault {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, *f)
	}
	return out
}

// ClearFaults removes every pending fault.
func (s *Sim) ClearFaults() {
	s.faultMu.Lock()
	s.faults = nil
	s.faultMu.Unlock()
}

// SetLatency adds a fixed delay to every Graph request (not to control API
// calls, and once per $batch envelope rather than per sub-request).
func (s *Sim) SetLatency(d time.Duration) {
	s.faultMu.Lock()
	s.latency = d
	s.faultMu.Unlock()
}

func (s *Sim) fixedLatency() time.Duration {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.latency
}

// takeFault returns the first pending fault matching the request and consumes
// one of its uses.
func (s *Sim) takeFault(method, path string) (Fault, bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for i, f := range s.faults {
		if f.Method != "" && f.Method != method {
			continue
		}
		if !faultMatches(f.Path, path) {
			continue
		}
		out := *f
		f.Count--
		if f.Count <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return out, true
	}
	return Fault{}, false
}

// faultMatches reports whether a fault path pattern matches a request path.
func faultMatches(pattern, path string) bool {
	if pattern == "" || pattern == "/" {
		return true
	}
	if !strings.Contains(pattern, "*") && !strings.Contains(pattern, "{") {
		return strings.HasPrefix(path, pattern)
	}
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	rs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) > len(rs) {
		return false
	}
	for i, p := range ps {
		if p == "*" || (strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}")) {
			continue
		}
		if p != rs[i] {
			return false
		}
	}
	return true
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Mail is one message sent through POST /users/{id}/sendMail.
type Mail struct {
	// FromUserID is the id of the user the message was sent as.
	FromUserID string `json:"fromUserId"`
	// From is that user's mail address.
	From        string    `json:"from"`
	To          []string  `json:"to"`
	Cc          []string  `json:"cc,omitempty"`
	Subject     string    `json:"subject"`
	ContentType string    `json:"contentType"`
	Body        string    `json:"body"`
	SentAt      time.Time `json:"sentAt"`
	// Message is the "message" object as posted.
	Message map[string]any `json:"message"`
}

// SentMail returns the messages sent so far, oldest first.
func (s *Sim) SentMail() []Mail {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Mail, len(s.t.mail))
	copy(out, s.t.mail)
	return out
}

// User returns a copy of an active user's properties (including id,
// createdDateTime, proxyAddresses and assignedLicenses), found by id or
// userPrincipalName.
func (s *Sim) User(idOrUPN string) (map[string]any, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.t.activeUser(idOrUPN)
	if u == nil {
		return nil, false
	}
	return s.t.userJSON(u), true
}

// DeletedUser returns a copy of a soft-deleted user's properties by id.
func (s *Sim) DeletedUser(id string) (map[string]any, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.t.users[id]
	if u == nil || u.deleted.IsZero() {
		return nil, false
	}
	return s.t.userJSON(u), true
}

// UserCount returns the number of active users.
func (s *Sim) UserCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.t.order)
}

// UserGroups returns the display names of the groups an active user is a
// direct member of, sorted.
func (s *Sim) UserGroups(idOrUPN string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.t.activeUser(idOrUPN)
	if u == nil {
		return nil
	}
	var out []string
	for gid := range s.t.memberOf[u.id] {
		if g := s.t.groups[gid]; g != nil {
			out = append(out, str(g.props, "displayName"))
		}
	}
	sort.Strings(out)
	return out
}

// GroupID returns the id of the group with the given display name.
func (s *Sim) GroupID(displayName string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g := s.t.groupByKey(displayName, true)
	if g == nil {
		return "", false
	}
	return g.id, true
}

// GroupMembers returns the ids of a group's members (by group id or display
// name), in the order they were added; soft-deleted users are left out.
func (s *Sim) GroupMembers(idOrName string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g := s.t.groupByKey(idOrName, true)
	if g == nil {
		return nil
	}
	var out []string
	for _, m := range g.members {
		if u := s.t.users[m]; u != nil && !u.deleted.IsZero() {
			continue
		}
		out = append(out, m)
	}
	return out
}

// UserLicenses returns the skuPartNumbers of an active user's licences, direct
// and inherited from groups, sorted.
func (s *Sim) UserLicenses(idOrUPN string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.t.activeUser(idOrUPN)
	if u == nil {
		return nil
	}
	var out []string
	for _, l := range s.t.effectiveLicenses(u) {
		if k := s.t.skus[strings.ToLower(l.SkuID)]; k != nil {
			out = append(out, k.part)
		} else {
			out = append(out, l.SkuID)
		}
	}
	sort.Strings(out)
	return out
}

// SKU describes a subscribed SKU and its seat usage.
type SKU struct {
	SkuID         string `json:"skuId"`
	SkuPartNumber string `json:"skuPartNumber"`
	PrepaidUnits  int    `json:"prepaidUnits"`
	ConsumedUnits int    `json:"consumedUnits"`
}

// SKU returns a subscribed SKU by skuId or skuPartNumber.
func (s *Sim) SKU(idOrPart string) (SKU, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k := s.t.skuByKey(idOrPart)
	if k == nil {
		return SKU{}, false
	}
	return SKU{SkuID: k.id, SkuPartNumber: k.part, PrepaidUnits: k.prepaid, ConsumedUnits: k.consumed}, true
}

// AppRoleAssignment is a user's app role assignment as the helpers report it.
type AppRoleAssignment struct {
	ID                  string `json:"id"`
	PrincipalID         string `json:"principalId"`
	ResourceID          string `json:"resourceId"`
	ResourceDisplayName string `json:"resourceDisplayName"`
	AppRoleID           string `json:"appRoleId"`
	AppRoleValue        string `json:"appRoleValue"`
}

// UserAppRoleAssignments returns an active user's app role assignments,
// oldest first.
func (s *Sim) UserAppRoleAssignments(idOrUPN string) []AppRoleAssignment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.t.activeUser(idOrUPN)
	if u == nil {
		return nil
	}
	var list []*roleAssignment
	for _, a := range s.t.byPrincipal[u.id] {
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	out := make([]AppRoleAssignment, 0, len(list))
	for _, a := range list {
		x := AppRoleAssignment{ID: a.id, PrincipalID: a.principal, ResourceID: a.resource, AppRoleID: a.role}
		if sp := s.t.sps[a.resource]; sp != nil {
			x.ResourceDisplayName = sp.displayName
			for _, r := range sp.roles {
				if strings.EqualFold(r.ID, a.role) {
					x.AppRoleValue = r.Value
				}
			}
		}
		out = append(out, x)
	}
	return out
}

// Manager returns the id of an active user's manager.
func (s *Sim) Manager(idOrUPN string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.t.activeUser(idOrUPN)
	if u == nil || u.managerID == "" {
		return "", false
	}
	return u.managerID, true
}

// SignInRevocations returns how often revokeSignInSessions was called for an
// active user.
func (s *Sim) SignInRevocations(idOrUPN string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.t.activeUser(idOrUPN)
	if u == nil {
		return 0
	}
	return u.revocations
}

// TemporaryAccessPass describes a user's current Temporary Access Pass.
type TemporaryAccessPass struct {
	ID                string    `json:"id"`
	Pass              string    `json:"temporaryAccessPass"`
	StartDateTime     time.Time `json:"startDateTime"`
	LifetimeInMinutes int       `json:"lifetimeInMinutes"`
	IsUsableOnce      bool      `json:"isUsableOnce"`
}

// TemporaryAccessPass returns an active user's current Temporary Access Pass.
func (s *Sim) TemporaryAccessPass(idOrUPN string) (TemporaryAccessPass, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.t.activeUser(idOrUPN)
	if u == nil || u.tap == nil {
		return TemporaryAccessPass{}, false
	}
	return TemporaryAccessPass{ID: u.tap.id, Pass: u.tap.pass, StartDateTime: u.tap.start, LifetimeInMinutes: u.tap.lifetime, IsUsableOnce: u.tap.usableOnce}, true
}
