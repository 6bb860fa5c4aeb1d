package policy

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Guard holds the mass-change thresholds: a plan that disables or deletes a
// larger share of the managed accounts than these percentages pauses for
// approval. The tenant-wide guard applies MaxDisablePercent to every exit,
// whatever delivers it, and MaxRemovalPercent to every removal of managed
// access outside an exit (a transfer, a promotion, the end of a transfer's
// grace period), each over the same sliding Window.
type Guard struct {
	MaxDisablePercent float64 `json:"maxDisablePercent"`
	MaxDeletePercent  float64 `json:"maxDeletePercent"`
	// MaxRemovalPercent is the share of the managed accounts whose managed
	// access may be removed within the window, outside exits; beyond it the
	// removals wait for approval.
	MaxRemovalPercent float64 `json:"maxRemovalPercent"`
	// Window is the length of the tenant-wide guard's sliding window
	// ("24h", "90m", "7d"); empty means DefaultGuardWindow.
	Window string `json:"window,omitempty"`
}

// UnmarshalJSON reads a Guard, giving MaxRemovalPercent its default when the
// JSON predates the key (a policy snapshot recorded by an older engine), so
// such a snapshot does not hold every removal.
func (g *Guard) UnmarshalJSON(b []byte) error {
	type wire Guard
	w := wire{MaxRemovalPercent: DefaultMaxRemovalPercent}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode the guard settings: %w", err)
	}
	*g = Guard(w)
	return nil
}

// DefaultGuardWindow is the tenant-wide guard's window when the policy
// names none.
const DefaultGuardWindow = 24 * time.Hour

// WindowDuration is the sliding window of the tenant-wide guard: Window
// parsed as a Go duration, or a whole number of days with a "d" suffix.
func (g Guard) WindowDuration() (time.Duration, error) {
	w := strings.TrimSpace(g.Window)
	if w == "" {
		return DefaultGuardWindow, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(w, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("guard.window %q: want a duration such as 24h, 90m or 7d", g.Window)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(w); err != nil {
			return 0, fmt.Errorf("guard.window %q: want a duration such as 24h, 90m or 7d", g.Window)
		}
	}
	if d < time.Minute || d > 90*24*time.Hour {
		return 0, fmt.Errorf("guard.window %q must be between 1m and 90d", g.Window)
	}
	return d, nil
}

// GuardResult is the outcome of a guard check.
type GuardResult struct {
	// Tripped is true when the plan must wait for approval.
	Tripped bool `json:"tripped"`
	// Reason explains a tripped guard in one line; empty otherwise.
	Reason string `json:"reason,omitempty"`
	// Total, Disables and Deletes are the counts the check was given.
	Total    int `json:"total"`
	Disables int `json:"disables"`
	Deletes  int `json:"deletes"`
	// DisablePercent and DeletePercent are the shares of Total.
	DisablePercent float64 `json:"disablePercent"`
	DeletePercent  float64 `json:"deletePercent"`
	// MaxDisablePercent and MaxDeletePercent are the thresholds applied.
	MaxDisablePercent float64 `json:"maxDisablePercent"`
	MaxDeletePercent  float64 `json:"maxDeletePercent"`
}

// Check evaluates a plan: total is the number of accounts the engine manages
// (in scope), disables and deletes what the plan would do. The guard trips
// when either share is strictly above its threshold, so with 200 accounts and
// a 5% threshold 10 disables pass and 11 pause. With total 0 any disable or
// delete counts as 100%. Negative counts trip the guard as invalid.
func (g Guard) Check(total, disables, deletes int) GuardResult {
	r := GuardResult{
		Total: total, Disables: disables, Deletes: deletes,
		MaxDisablePercent: g.MaxDisablePercent, MaxDeletePercent: g.MaxDeletePercent,
	}
	if total < 0 || disables < 0 || deletes < 0 {
		r.Tripped = true
		r.Reason = fmt.Sprintf("invalid plan counts (total %d, disables %d, deletes %d)", total, disables, deletes)
		return r
	}
	r.DisablePercent = percent(disables, total)
	r.DeletePercent = percent(deletes, total)
	var reasons []string
	// Compare counts rather than rounded percentages: count/total > max/100.
	if above(disables, total, g.MaxDisablePercent) {
		reasons = append(reasons, fmt.Sprintf("disables %d of %d accounts (%.1f%%), above the %s%% threshold",
			disables, total, r.DisablePercent, fmtPercent(g.MaxDisablePercent)))
	}
	if above(deletes, total, g.MaxDeletePercent) {
		reasons = append(reasons, fmt.Sprintf("deletes %d of %d accounts (%.1f%%), above the %s%% threshold",
			deletes, total, r.DeletePercent, fmtPercent(g.MaxDeletePercent)))
	}
	if len(reasons) > 0 {
		r.Tripped = true
		r.Reason = "plan " + strings.Join(reasons, " and ") + "; approval needed"
	}
	return r
}

func percent(n, total int) float64 {
	if n == 0 {
		return 0
	}
	if total == 0 {
		return 100
	}
	return float64(n) * 100 / float64(total)
}

// above reports n/total*100 > max without rounding surprises for whole
// percentages.
func above(n, total int, max float64) bool {
	if n == 0 {
		return false
	}
	if total == 0 {
		return true
	}
	return float64(n)*100 > max*float64(total)
}

func fmtPercent(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

// InScope reports whether the engine manages an employee with these
// attributes: every non-empty scope list must contain the employee's value
// (case-insensitive). An empty scope manages everyone.
func (p *Policy) InScope(a Attributes) bool {
	s := p.Scope
	return matchAny(s.Companies, a.Company) &&
		matchAny(s.Departments, a.Department) &&
		matchAny(s.EmployeeTypes, a.EmployeeType)
}
