// Package lifecycle is the one answer to "what is due for this employee,
// and when": from the HR record, the policy, the state of the employee's
// account and a moment it says which lifecycle action is due now (hire,
// activate, rehire, exit, delete …) and the future moments at which that
// answer may change. The employee entity workflow acts on it and the
// reconciliation planner reports from it, so the two cannot disagree about
// who is employed, who is about to start and who has left.
//
// It is pure and deterministic: it reads nothing, writes nothing and imports
// no Temporal package, so workflow code may call it.
package lifecycle

import (
	"strings"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
)

// State is what is known of the employee's Entra account.
type State int

const (
	// NoAccount: the employee has no account (none was ever made, or the
	// last creation failed).
	NoAccount State = iota
	// PreHire: a disabled account created ahead of the start date.
	PreHire
	// Active: an enabled account (also while its exit waits for the
	// mass-change guard).
	Active
	// Left: an account disabled by an exit, at Account.LeftAt.
	Left
	// Deleted: an account deleted after the retention period.
	Deleted
	// Missing: an account that vanished from the directory behind the
	// engine's back.
	Missing
)

var stateNames = [...]string{"none", "pre-hire", "active", "left", "deleted", "missing"}

// String names the state.
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "unknown"
	}
	return stateNames[s]
}

// Account is the state of the employee's account.
type Account struct {
	State State
	// LeftAt is when the exit disabled the account (State Left); the
	// deletion is due Lifecycle.DeleteAfterDays later. Zero when unknown:
	// then no deletion is due.
	LeftAt time.Time
}

// Has reports whether the employee holds an account the engine manages
// (pre-hire or active).
func (a Account) Has() bool { return a.State == PreHire || a.State == Active }

// lacks reports whether a hire (or rehire, or recreation) may make one.
func (a Account) lacks() bool {
	return a.State == NoAccount || a.State == Left || a.State == Deleted || a.State == Missing
}

// Action is a lifecycle action due for an employee.
type Action string

// The actions Decide answers.
const (
	// None: no lifecycle action is due (attribute and entitlement changes
	// of an employed person are not lifecycle actions).
	None Action = "none"
	// HireDisabled: create the account disabled, ahead of the start date
	// (Lifecycle.CreateDaysBeforeStart).
	HireDisabled Action = "hire-disabled"
	// HireEnabled: create the account enabled: the employee works now and
	// has none.
	HireEnabled Action = "hire-enabled"
	// Activate: enable the pre-hire account on the start date.
	Activate Action = "activate"
	// Rehire: a returning employee works again; the left (or deleted)
	// account is enabled (or restored) again.
	Rehire Action = "rehire"
	// RehireDisabled: a returning employee's comeback is within
	// Lifecycle.CreateDaysBeforeStart: the account is prepared, disabled.
	RehireDisabled Action = "rehire-disabled"
	// Exit: the employee has left (or never started) and still holds an
	// account: disable it and end its access.
	Exit Action = "exit"
	// Delete: the retention period after the exit has passed.
	Delete Action = "delete"
	// FindLeaver: a leaver with no known account: any enabled account
	// carrying the employee id is to be found and exited.
	FindLeaver Action = "find-leaver"
	// Forget: a leaver's account vanished: record it as deleted, there is
	// nothing to restore.
	Forget Action = "forget"
)

// Enables reports whether the action leaves the account enabled.
func (a Action) Enables() bool { return a == HireEnabled || a == Activate || a == Rehire }

// Creates reports whether the action makes (or re-makes) an account.
func (a Action) Creates() bool {
	return a == HireEnabled || a == HireDisabled || a == Rehire || a == RehireDisabled
}

// Moments are where an employee stands at a moment, independent of the
// account: the HR view and the instants that matter.
type Moments struct {
	// View is the HR record viewed at the moment in the policy's time zone.
	View hr.View
	// Start is the start of the employment run (View.EmploymentStart) at
	// midnight; Create the moment a pre-hire account is due
	// (CreateDaysBeforeStart before Start); Leave the moment access ends
	// (the run's last day at LeaveTime). Zero when HR gives no such date.
	Start, Create, Leave time.Time
	// Employed: working now (a contract runs and the leave moment has not
	// passed). Upcoming: no contract runs, one starts later.
	Employed, Upcoming bool
}

// Leaver reports whether the employee neither works now nor starts later.
func (m Moments) Leaver() bool { return !m.Employed && !m.Upcoming }

// At computes the moments of an employee at now.
func At(e *hr.Employee, p *policy.Policy, now time.Time) Moments {
	m := Moments{View: e.ViewAt(now, p.Location())}
	v := m.View
	if v.EmploymentStart != nil {
		d := *v.EmploymentStart
		m.Start = p.StartOfDay(d.Year, d.Month, d.Day)
		c := d.AddDays(-p.Lifecycle.CreateDaysBeforeStart)
		m.Create = p.StartOfDay(c.Year, c.Month, c.Day)
	}
	if v.LeaveDate != nil {
		d := *v.LeaveDate
		m.Leave = p.LeaveAt(d.Year, d.Month, d.Day)
	}
	m.Employed = v.Active && (m.Leave.IsZero() || now.Before(m.Leave))
	m.Upcoming = v.Status == hr.StatusPreHire
	return m
}

// Timer is a future moment at which something may become due.
type Timer struct {
	// What says what happens then, for people ("start: enable the account").
	What string
	At   time.Time
}

// Decision is what is due for an employee at a moment.
type Decision struct {
	Moments
	// Action is due now.
	Action Action
	// Timers are the future moments the lifecycle answer may change at, in
	// the order the rules name them (not sorted); Next is the soonest.
	Timers []Timer
	// Next is the soonest of Timers, zero when there is none.
	Next time.Time
}

// Due answers what is due for the employee with account a at now, and when
// to look again. It is At followed by Moments.Decide.
func Due(e *hr.Employee, p *policy.Policy, a Account, now time.Time) Decision {
	return At(e, p, now).Decide(p, a, now)
}

// Decide answers what is due at now for an employee at these moments whose
// account is a. The rules, first match wins:
//
//   - a leaver whose account is missing: Forget;
//   - employed without an account: HireEnabled, or Rehire after an exit;
//   - employed with a pre-hire account: Activate;
//   - upcoming, from the create moment, without an account: HireDisabled,
//     or RehireDisabled after an exit;
//   - a leaver holding an account: Exit;
//   - a leaver without a known account: FindLeaver;
//   - DeleteAfterDays after the exit (0: never): Delete.
func (m Moments) Decide(p *policy.Policy, a Account, now time.Time) Decision {
	d := Decision{Moments: m, Action: None}
	returning := a.State == Left || a.State == Deleted
	deleteAt := a.deleteAt(p)
	switch {
	case m.Leaver() && a.State == Missing:
		d.Action = Forget
	case m.Employed && a.lacks():
		d.Action = HireEnabled
		if returning {
			d.Action = Rehire
		}
	case m.Employed && a.State == PreHire:
		d.Action = Activate
	case m.Upcoming && !now.Before(m.Create) && a.lacks():
		d.Action = HireDisabled
		if returning {
			d.Action = RehireDisabled
		}
	case m.Leaver() && a.Has():
		d.Action = Exit
	case m.Leaver() && a.State == NoAccount:
		d.Action = FindLeaver
	case !deleteAt.IsZero() && !now.Before(deleteAt):
		d.Action = Delete
	}
	d.Timers = m.timers(p, a, deleteAt, now)
	for _, t := range d.Timers {
		if d.Next.IsZero() || t.At.Before(d.Next) {
			d.Next = t.At
		}
	}
	return d
}

// deleteAt is when a left account is due for deletion; zero when never.
func (a Account) deleteAt(p *policy.Policy) time.Time {
	if a.State != Left || a.LeftAt.IsZero() || p.Lifecycle.DeleteAfterDays <= 0 {
		return time.Time{}
	}
	return a.LeftAt.AddDate(0, 0, p.Lifecycle.DeleteAfterDays)
}

// timers lists the lifecycle moments after now.
func (m Moments) timers(p *policy.Policy, a Account, deleteAt, now time.Time) []Timer {
	var out []Timer
	add := func(what string, at time.Time) {
		if at.After(now) {
			out = append(out, Timer{What: what, At: at})
		}
	}
	if m.Upcoming {
		if !a.Has() {
			add("create the account", m.Create)
		}
		add("start: enable the account", m.Start)
	}
	if !m.Leaver() && !m.Leave.IsZero() {
		add("leave: disable the account", m.Leave)
	}
	if a.Has() {
		// Future-dated HR changes, one timer a day naming its fields.
		// Keyed by the UTC instant: the same day may carry different
		// *time.Location values.
		var days []time.Time
		fields := map[string][]string{}
		for _, c := range m.View.FutureChanges {
			at := p.StartOfDay(c.Date.Year, c.Date.Month, c.Date.Day)
			k := at.UTC().Format(time.RFC3339)
			if _, ok := fields[k]; !ok {
				days = append(days, at)
			}
			fields[k] = append(fields[k], c.Field)
		}
		for _, at := range days {
			add("HR change: "+strings.Join(fields[at.UTC().Format(time.RFC3339)], ", "), at)
		}
	}
	if !deleteAt.IsZero() {
		add("delete the account", deleteAt)
	}
	return out
}
