package report

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/hr"
)

// Window is how far the report looks ahead (upcoming) and back (recent leavers).
const Window = 30 * 24 * time.Hour

// DelayWindow is how far back the deprovisioning delay is measured.
const DelayWindow = 90 * 24 * time.Hour

// Statuses of the LifecycleStatus search attribute the report counts (see workflows/names.go).
const (
	statusPreHire          = "pre-hire"
	statusActive           = "active"
	statusLeft             = "left"
	statusDeleted          = "deleted"
	statusFailed           = "failed"
	statusAwaitingApproval = "awaiting-approval"
)

// leaveDateField is the account attribute an exit sets to the leave moment; its audit
// record (account.updated) gives the moment the disable is measured from.
const leaveDateField = "employeeLeaveDateTime"

// Glance is the "at a glance" figures.
type Glance struct {
	Entities     int
	Active       int
	PreHire      int
	LeftRecently int
	Attention    int
	Held         int
	HRRejected   int
}

// AttentionRow is an entity that failed or needs a person to look at it.
type AttentionRow struct {
	EmployeeID, Name, Status, Reason, WorkflowID string
}

// UpcomingRow is one moment in the coming window.
type UpcomingRow struct {
	At         time.Time
	Kind       string
	EmployeeID string
	Name       string
	Detail     string
	WorkflowID string
	// FromHR is true when the row comes from the HR snapshot rather than the entity.
	FromHR bool
}

// Upcoming kinds.
const (
	KindStart       = "start"
	KindCreate      = "account created"
	KindLeave       = "leave"
	KindReplacement = "replacement ends"
	KindDeletion    = "deletion"
)

// Exit is one measured deprovisioning: the leave moment and when the account was disabled.
type Exit struct {
	EmployeeID string
	WorkflowID string
	LeaveAt    time.Time
	DisabledAt time.Time
	Delay      time.Duration
}

// Delay summarises the deprovisioning delays of DelayWindow.
type Delay struct {
	Exits  []Exit
	Median time.Duration
	Worst  *Exit
	Bars   []Bar
}

// Bar is one bar of the delay histogram, laid out for an inline SVG.
type Bar struct {
	Label       string
	Count       int
	X, Y, W, H  int
	LabelX      int
	CountY      int
	Highlighted bool
}

// delayBuckets are the histogram's upper bounds.
var delayBuckets = []struct {
	label string
	max   time.Duration
}{
	{"≤ 1 min", time.Minute}, {"≤ 15 min", 15 * time.Minute}, {"≤ 1 h", time.Hour},
	{"≤ 1 day", 24 * time.Hour}, {"> 1 day", 1<<63 - 1},
}

// computeGlance counts the entities and lists those needing attention.
func computeGlance(ents []Entity, held []HeldRun, now time.Time) (Glance, []AttentionRow) {
	g := Glance{Entities: len(ents), Held: len(held)}
	var att []AttentionRow
	for _, e := range ents {
		switch countedStatus(e) {
		case statusActive:
			g.Active++
		case statusPreHire:
			g.PreHire++
		}
		if left, ok := leftAt(e); ok && !left.After(now) && now.Sub(left) <= Window {
			g.LeftRecently++
		}
		if reason := attentionReason(e); reason != "" {
			att = append(att, AttentionRow{EmployeeID: e.EmployeeID, Name: nameOf(e), Status: e.Status, Reason: reason, WorkflowID: e.WorkflowID})
		}
	}
	g.Attention = len(att)
	slices.SortFunc(att, func(a, b AttentionRow) int { return cmp.Compare(a.EmployeeID, b.EmployeeID) })
	return g, att
}

// countedStatus is the status an entity is counted under at a glance. An
// entity the mass-change guard holds (LifecycleStatus awaiting-approval) has
// its account as it was: a held removal of managed access leaves the entity's
// own status (active or pre-hire) as it is, and a held exit has not disabled
// anything yet, so it counts under the status it had before it was held
// (HeldFrom). When the entity's state is unknown it counts as active, which
// is what such an entity nearly always is. It is listed among what the guard
// holds all the same (HeldRuns).
func countedStatus(e Entity) string {
	if e.Status != statusAwaitingApproval {
		return e.Status
	}
	switch {
	case e.State == nil:
		return statusActive
	case e.State.Status != "" && e.State.Status != statusAwaitingApproval:
		return e.State.Status // a removal held: the entity's own status
	case e.State.HeldFrom == statusPreHire:
		return statusPreHire
	}
	return statusActive // an exit held
}

// leftAt is when an entity's employee left: the state's LeftAt, else the EffectiveDate of
// an entity whose status is left.
func leftAt(e Entity) (time.Time, bool) {
	if e.Status != statusLeft && e.Status != statusDeleted {
		return time.Time{}, false
	}
	if e.State != nil && e.State.LeftAt != nil {
		return *e.State.LeftAt, true
	}
	if e.Status == statusLeft && !e.EffectiveDate.IsZero() {
		return e.EffectiveDate, true
	}
	return time.Time{}, false
}

// attentionReason says why an entity needs attention ("" when it does not).
func attentionReason(e Entity) string {
	var reasons []string
	if e.Execution != "" && e.Execution != "Running" && e.Execution != "Completed" && e.Execution != "ContinuedAsNew" {
		reasons = append(reasons, "workflow "+strings.ToLower(e.Execution))
	}
	if e.State != nil {
		if e.State.LastError != "" {
			reasons = append(reasons, e.State.LastError)
		}
		if e.State.Blocked {
			r := "automatic actions paused"
			if e.State.RetryAt != nil {
				r += " until " + e.State.RetryAt.UTC().Format("2006-01-02 15:04 UTC")
			}
			reasons = append(reasons, r)
		}
	}
	if e.Status == statusFailed && len(reasons) == 0 {
		reasons = append(reasons, "status failed")
	}
	return strings.Join(reasons, "; ")
}

func nameOf(e Entity) string {
	if e.State != nil {
		return e.State.Name
	}
	return ""
}

// computeUpcoming lists the moments in [now, now+Window): from each entity's pending timers
// and replacements, and, for employees whose entity state is unknown, from the HR snapshot.
func computeUpcoming(ents []Entity, snap *hr.Snapshot, now time.Time, loc *time.Location) []UpcomingRow {
	end := now.Add(Window)
	in := func(t time.Time) bool { return !t.Before(now) && t.Before(end) }
	var out []UpcomingRow
	known := map[string]bool{}
	for _, e := range ents {
		if e.State == nil {
			continue
		}
		known[e.EmployeeID] = true
		for _, t := range e.State.Timers {
			kind := timerKind(t.What)
			if kind == "" || !in(t.At) {
				continue
			}
			out = append(out, UpcomingRow{At: t.At, Kind: kind, EmployeeID: e.EmployeeID, Name: e.State.Name, Detail: t.What, WorkflowID: e.WorkflowID})
		}
		for _, r := range e.State.Replacements {
			if r.State == "ended" || r.End.IsZero() || !in(r.End) {
				continue
			}
			out = append(out, UpcomingRow{At: r.End, Kind: KindReplacement, EmployeeID: e.EmployeeID, Name: e.State.Name,
				Detail: fmt.Sprintf("replacement %s of %s", r.ID, r.ReplacedEmployeeID), WorkflowID: e.WorkflowID})
		}
	}
	if snap != nil {
		today := hr.DateIn(now, loc)
		dayIn := func(d *hr.Date) (time.Time, bool) {
			if d == nil {
				return time.Time{}, false
			}
			t := d.In(loc)
			// A day counts from its start; today's start is in the window too.
			return t, !t.Before(today.In(loc)) && t.Before(end)
		}
		wfOf := func(id string) string { return "employee/" + id }
		for _, emp := range snap.Employees {
			if known[emp.EmployeeID] {
				continue
			}
			v := emp.ViewOn(today)
			if v.Status == hr.StatusPreHire {
				if t, ok := dayIn(v.EmploymentStart); ok {
					out = append(out, UpcomingRow{At: t, Kind: KindStart, EmployeeID: emp.EmployeeID, Name: emp.FullName(),
						Detail: "first day (HR)", WorkflowID: wfOf(emp.EmployeeID), FromHR: true})
				}
			}
			if t, ok := dayIn(v.LeaveDate); ok {
				out = append(out, UpcomingRow{At: t, Kind: KindLeave, EmployeeID: emp.EmployeeID, Name: emp.FullName(),
					Detail: "last day (HR)", WorkflowID: wfOf(emp.EmployeeID), FromHR: true})
			}
		}
		for _, r := range snap.Replacements {
			if known[r.SubstituteEmployeeID] {
				continue
			}
			if t, ok := dayIn(r.End); ok {
				name := ""
				if emp, found := snap.Find(r.SubstituteEmployeeID); found {
					name = emp.FullName()
				}
				out = append(out, UpcomingRow{At: t, Kind: KindReplacement, EmployeeID: r.SubstituteEmployeeID, Name: name,
					Detail: fmt.Sprintf("replacement %s of %s: last day (HR)", r.ID, r.ReplacedEmployeeID), WorkflowID: wfOf(r.SubstituteEmployeeID), FromHR: true})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b UpcomingRow) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.EmployeeID, b.EmployeeID), cmp.Compare(a.Kind, b.Kind))
	})
	return out
}

// timerKind classifies an entity timer by the words its state query uses; others ("retry
// after failure", "HR change: ...") are not listed.
func timerKind(what string) string {
	switch {
	case strings.HasPrefix(what, "start"):
		return KindStart
	case strings.HasPrefix(what, "create the account"):
		return KindCreate
	case strings.HasPrefix(what, "leave"):
		return KindLeave
	case strings.HasPrefix(what, "delete the account"):
		return KindDeletion
	}
	return ""
}

// computeDelay pairs each account.disabled record with the leave moment its exit wrote
// (account.updated of employeeLeaveDateTime, same workflow) and summarises the delays.
func computeDelay(recs []audit.Record) Delay {
	leave := map[string]time.Time{}
	for _, r := range recs {
		if r.Action != audit.AccountUpdated || r.WorkflowID == "" {
			continue
		}
		for _, c := range r.Changes {
			if c.Field != leaveDateField || c.After == "" {
				continue
			}
			if t, err := time.Parse(time.RFC3339, c.After); err == nil {
				leave[r.WorkflowID] = t
			}
		}
	}
	var d Delay
	for _, r := range recs {
		if r.Action != audit.AccountDisabled {
			continue
		}
		at, ok := leave[r.WorkflowID]
		if !ok {
			continue
		}
		delay := max(r.At.Sub(at), 0)
		d.Exits = append(d.Exits, Exit{EmployeeID: r.EmployeeID, WorkflowID: r.WorkflowID, LeaveAt: at, DisabledAt: r.At, Delay: delay})
	}
	if len(d.Exits) == 0 {
		return d
	}
	sorted := slices.Clone(d.Exits)
	slices.SortStableFunc(sorted, func(a, b Exit) int { return cmp.Compare(a.Delay, b.Delay) })
	n := len(sorted)
	if n%2 == 1 {
		d.Median = sorted[n/2].Delay
	} else {
		d.Median = (sorted[n/2-1].Delay + sorted[n/2].Delay) / 2
	}
	worst := sorted[n-1]
	d.Worst = &worst
	d.Bars = bars(sorted)
	return d
}

// bars lays out the histogram: 5 bars in a 400×140 box, counts above, labels below.
func bars(exits []Exit) []Bar {
	counts := make([]int, len(delayBuckets))
	for _, e := range exits {
		for i, b := range delayBuckets {
			if e.Delay <= b.max {
				counts[i]++
				break
			}
		}
	}
	top := slices.Max(counts)
	const width, height, gap = 80, 100, 12
	out := make([]Bar, len(counts))
	for i, c := range counts {
		h := 0
		if top > 0 {
			h = c * height / top
		}
		if c > 0 && h < 2 {
			h = 2
		}
		x := i*width + gap/2
		out[i] = Bar{Label: delayBuckets[i].label, Count: c, X: x, W: width - gap, H: h, Y: 16 + height - h,
			LabelX: x + (width-gap)/2, CountY: 16 + height - h - 4, Highlighted: i >= 3 && c > 0}
	}
	return out
}

// Search is the audit search form as submitted.
type Search struct {
	Employee string
	Kind     string
	Target   string
	Since    string
	Until    string
	// Active is true when any field was given.
	Active bool
}

// parseSearch reads the form; it returns the filter and the problems found.
func parseSearch(q url.Values, loc *time.Location) (Search, audit.Filter, []string) {
	s := Search{
		Employee: strings.TrimSpace(q.Get("employee")), Kind: strings.TrimSpace(q.Get("kind")),
		Target: strings.TrimSpace(q.Get("target")), Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until")),
	}
	s.Active = s.Employee != "" || s.Target != "" || s.Since != "" || s.Until != ""
	f := audit.Filter{EmployeeID: s.Employee}
	var problems []string
	if s.Target != "" {
		kind, ok := audit.ParseKind(s.Kind)
		if !ok {
			problems = append(problems, fmt.Sprintf("unknown kind %q: choose group, licence or app role", s.Kind))
		} else {
			f.TargetKind, f.TargetName = kind, s.Target
		}
	}
	day := func(field, v string) (time.Time, bool) {
		if v == "" {
			return time.Time{}, false
		}
		d, err := hr.ParseDate(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", field, err))
			return time.Time{}, false
		}
		return d.In(loc), true
	}
	if t, ok := day("from", s.Since); ok {
		f.Since = t
	}
	if t, ok := day("to", s.Until); ok {
		f.Until = t.AddDate(0, 0, 1)
	}
	return s, f, problems
}

// query returns the entities (and held runs) or the error, for the page.
func (h *Handler) entities(ctx context.Context) ([]Entity, []HeldRun, []string) {
	if h.src.Entities == nil {
		return nil, nil, nil
	}
	var errs []string
	ents, err := h.src.Entities.Entities(ctx)
	if err != nil {
		h.logger.Warn("report: list entities", "error", err)
		errs = append(errs, "employee entities: "+err.Error())
	}
	held, err := h.src.Entities.HeldRuns(ctx)
	if err != nil {
		h.logger.Warn("report: list held runs", "error", err)
		errs = append(errs, "runs held by the guard: "+err.Error())
	}
	return ents, held, errs
}
