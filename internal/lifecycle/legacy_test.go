package lifecycle

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/internal/testenv"
)

// The derivations below are the ones Decide replaced, kept verbatim (in
// account-state terms) as the reference: the entity's step switch and its
// lifecycle timers, and the planner's employmentAt. TestDecideMatchesLegacy
// holds Decide to them on random HR timelines, so running entity workflows
// keep taking the same decisions.

func legacyMoments(e *hr.Employee, p *policy.Policy, now time.Time) (v hr.View, start, leave, create time.Time, employed, upcoming bool) {
	loc := p.Location()
	v = e.ViewAt(now, loc)
	if v.EmploymentStart != nil {
		d := *v.EmploymentStart
		start = p.StartOfDay(d.Year, d.Month, d.Day)
		c := d.AddDays(-p.Lifecycle.CreateDaysBeforeStart)
		create = p.StartOfDay(c.Year, c.Month, c.Day)
	}
	if v.LeaveDate != nil {
		d := *v.LeaveDate
		leave = p.LeaveAt(d.Year, d.Month, d.Day)
	}
	employed = v.Active && (leave.IsZero() || now.Before(leave))
	upcoming = v.Status == hr.StatusPreHire
	return
}

// legacyStep is the entity's former step switch; hire carries enable.
func legacyStep(e *hr.Employee, p *policy.Policy, a Account, now time.Time) Action {
	_, _, _, create, employed, upcoming := legacyMoments(e, p, now)
	noAccount := a.State == NoAccount || a.State == Left || a.State == Deleted || a.State == Missing
	hasAccount := a.State == PreHire || a.State == Active
	rehire := a.State == Left || a.State == Deleted
	switch {
	case !employed && !upcoming && a.State == Missing:
		return Forget
	case employed && noAccount:
		if rehire {
			return Rehire
		}
		return HireEnabled
	case employed && a.State == PreHire:
		return Activate
	case upcoming && !now.Before(create) && noAccount:
		if rehire {
			return RehireDisabled
		}
		return HireDisabled
	case !employed && !upcoming && hasAccount:
		return Exit
	case !employed && !upcoming && a.State == NoAccount:
		return FindLeaver
	case a.State == Left && !a.LeftAt.IsZero() && p.Lifecycle.DeleteAfterDays > 0 &&
		!now.Before(a.LeftAt.AddDate(0, 0, p.Lifecycle.DeleteAfterDays)):
		return Delete
	}
	return None
}

// legacyTimers is the lifecycle part of the entity's former timers().
func legacyTimers(e *hr.Employee, p *policy.Policy, a Account, now time.Time) []Timer {
	var out []Timer
	add := func(what string, at time.Time) {
		if at.After(now) {
			out = append(out, Timer{What: what, At: at})
		}
	}
	v, start, leave, create, employed, upcoming := legacyMoments(e, p, now)
	hasAccount := a.State == PreHire || a.State == Active
	if upcoming {
		if !hasAccount {
			add("create the account", create)
		}
		add("start: enable the account", start)
	}
	if (employed || upcoming) && !leave.IsZero() {
		add("leave: disable the account", leave)
	}
	if hasAccount {
		byDay := map[string][]string{}
		var days []time.Time
		for _, c := range v.FutureChanges {
			at := p.StartOfDay(c.Date.Year, c.Date.Month, c.Date.Day)
			k := at.UTC().Format(time.RFC3339)
			if _, ok := byDay[k]; !ok {
				days = append(days, at)
			}
			byDay[k] = append(byDay[k], c.Field)
		}
		for _, at := range days {
			add("HR change: "+strings.Join(byDay[at.UTC().Format(time.RFC3339)], ", "), at)
		}
	}
	if a.State == Left && !a.LeftAt.IsZero() && p.Lifecycle.DeleteAfterDays > 0 {
		add("delete the account", a.LeftAt.AddDate(0, 0, p.Lifecycle.DeleteAfterDays))
	}
	return out
}

// legacyPlanner is the planner's former employmentAt: employed, upcoming,
// and due for a pre-hire account.
func legacyPlanner(e *hr.Employee, p *policy.Policy, at time.Time) (employed, upcoming, due bool) {
	v := e.ViewAt(at, p.Location())
	var leave time.Time
	if v.LeaveDate != nil {
		d := *v.LeaveDate
		leave = p.LeaveAt(d.Year, d.Month, d.Day)
	}
	employed = v.Active && (leave.IsZero() || at.Before(leave))
	upcoming = v.Status == hr.StatusPreHire
	if upcoming && v.EmploymentStart != nil {
		c := v.EmploymentStart.AddDays(-p.Lifecycle.CreateDaysBeforeStart)
		due = !at.Before(p.StartOfDay(c.Year, c.Month, c.Day))
	}
	return employed, upcoming, due
}

// randomMoment is a moment near base, often on a boundary that matters
// (midnight, the leave time, a minute before).
func randomMoment(r *rand.Rand, p *policy.Policy, base hr.Date) time.Time {
	d := base.AddDays(r.Intn(500) - 200)
	switch r.Intn(4) {
	case 0:
		return p.StartOfDay(d.Year, d.Month, d.Day)
	case 1:
		return p.LeaveAt(d.Year, d.Month, d.Day)
	case 2:
		return p.LeaveAt(d.Year, d.Month, d.Day).Add(-time.Minute)
	}
	return p.StartOfDay(d.Year, d.Month, d.Day).Add(time.Duration(r.Intn(24*60)) * time.Minute)
}

func randomAccount(r *rand.Rand, p *policy.Policy, base hr.Date) Account {
	a := Account{State: State(r.Intn(int(Missing) + 1))}
	if a.State == Left && r.Intn(5) > 0 {
		a.LeftAt = randomMoment(r, p, base)
	}
	return a
}

func TestDecideMatchesLegacy(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	base := hr.NewDate(2026, 6, 15)
	policies := []*policy.Policy{
		testPolicy(t),
		testPolicy(t, func(p *policy.Policy) { p.Lifecycle.DeleteAfterDays = 0; p.Lifecycle.CreateDaysBeforeStart = 0 }),
		testPolicy(t, func(p *policy.Policy) { p.Lifecycle.LeaveTime = "00:00"; p.Lifecycle.Timezone = "UTC" }),
	}
	seen := map[Action]int{}
	for i := 0; i < 20000; i++ {
		p := policies[r.Intn(len(policies))]
		e := timeline(r, base)
		a := randomAccount(r, p, base)
		now := randomMoment(r, p, base)
		d := Due(e, p, a, now)
		seen[d.Action]++
		if want := legacyStep(e, p, a, now); d.Action != want {
			t.Fatalf("case %d: action %s, the entity took %s\nemployee %+v\naccount %+v now %s", i, d.Action, want, e.Contracts, a, now)
		}
		if want := legacyTimers(e, p, a, now); !slices.Equal(d.Timers, want) {
			t.Fatalf("case %d: timers %+v, the entity waited for %+v", i, d.Timers, want)
		}
		employed, upcoming, due := legacyPlanner(e, p, now)
		if d.Employed != employed || d.Upcoming != upcoming {
			t.Fatalf("case %d: employed/upcoming %t/%t, the planner had %t/%t", i, d.Employed, d.Upcoming, employed, upcoming)
		}
		if a.State == NoAccount && (d.Action == HireEnabled || d.Action == HireDisabled) != (employed || due) {
			t.Fatalf("case %d: action %s, the planner's hire was %t", i, d.Action, employed || due)
		}
	}
	// Every action must have been exercised, or the comparison proves little.
	for _, act := range []Action{None, HireDisabled, HireEnabled, Activate, Rehire, RehireDisabled, Exit, Delete, FindLeaver, Forget} {
		if seen[act] == 0 {
			t.Errorf("no random case decided %s", act)
		}
	}
	t.Logf("actions over the random cases: %v", seen)
}

// timeline draws an HR timeline (testenv.RandomTimeline).
func timeline(r *rand.Rand, base hr.Date) *hr.Employee {
	e := testenv.RandomTimeline(r, base)
	return &e
}
