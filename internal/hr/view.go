package hr

import (
	"sort"
	"strconv"
	"time"
)

// Status is where an employee stands at a moment.
type Status string

// Employment statuses.
const (
	// StatusPreHire: no contract is active today, but one starts later.
	StatusPreHire Status = "pre-hire"
	// StatusActive: at least one contract is active today.
	StatusActive Status = "active"
	// StatusLeft: every contract has ended.
	StatusLeft Status = "left"
	// StatusNone: the employee has no contracts at all.
	StatusNone Status = "none"
)

// View is the effective view of an employee on one calendar day: what the
// directory should show for them.
//
// When the employee is not active the attribute fields still describe them:
// for a pre-hire they are taken from the first day of the next run of
// contracts (what the account should look like when it is created disabled),
// for a leaver from the last day of the last run.
type View struct {
	EmployeeID string `json:"employeeId"`
	// Day is the local calendar day the view was computed for.
	Day    Date   `json:"day"`
	Status Status `json:"status"`
	Active bool   `json:"active"`
	// ActiveContracts are the contracts active on Day, primary first.
	ActiveContracts []Contract `json:"activeContracts,omitempty"`
	// Primary is the contract the attributes come from (see View).
	Primary           *Contract `json:"primary,omitempty"`
	Department        string    `json:"department"`
	DepartmentName    string    `json:"departmentName"`
	JobCode           string    `json:"jobCode"`
	JobTitle          string    `json:"jobTitle"`
	Company           string    `json:"company"`
	CostCenter        string    `json:"costCenter"`
	EmployeeType      string    `json:"employeeType"`
	ManagerEmployeeID string    `json:"managerEmployeeId"`
	// EmploymentStart is the first day of the continuous run of contracts
	// containing Day; for a pre-hire the start of the next run, for a leaver
	// the start of the last run. Nil only without contracts.
	EmploymentStart *Date `json:"employmentStart,omitempty"`
	// LeaveDate is the last day of that run (the end of its last contract);
	// nil while the run is open-ended.
	LeaveDate *Date `json:"leaveDate,omitempty"`
	// FutureChanges lists every dated change after Day that HR already
	// knows, in date order.
	FutureChanges []Change `json:"futureChanges,omitempty"`
}

// FieldChange is one attribute that differs between two views.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Change is a FieldChange that takes effect on Date.
type Change struct {
	Date Date `json:"date"`
	FieldChange
}

// Field names used in FieldChange.Field.
const (
	FieldStatus          = "status"
	FieldDepartment      = "department"
	FieldDepartmentName  = "departmentName"
	FieldJobCode         = "jobCode"
	FieldJobTitle        = "jobTitle"
	FieldCompany         = "company"
	FieldCostCenter      = "costCenter"
	FieldEmployeeType    = "employeeType"
	FieldManager         = "managerEmployeeId"
	FieldEmploymentStart = "employmentStart"
	FieldLeaveDate       = "leaveDate"
)

// ViewAt computes the effective view of e at moment t, reading HR dates as
// days in loc (UTC when nil). It is pure and deterministic.
//
// A contract is active on day d when Start <= d and (End is nil or d <= End).
// Contracts form one continuous run when the next starts no later than the
// day after the previous one ends; a gap of one whole day or more starts a
// new run (a rehire). The primary contract is the longest-running active one
// (earliest start); ties go to the highest FTE, then the latest end (open
// beats any date), then the lowest contract id.
func (e Employee) ViewAt(t time.Time, loc *time.Location) View {
	return e.viewOn(DateIn(t, loc), true)
}

// ViewOn is ViewAt for a calendar day.
func (e Employee) ViewOn(d Date) View { return e.viewOn(d, true) }

func (e Employee) viewOn(d Date, withFuture bool) View {
	v := View{EmployeeID: e.EmployeeID, Day: d, Status: StatusNone}
	if len(e.Contracts) == 0 {
		return v
	}
	var active []Contract
	for _, c := range e.Contracts {
		if c.activeOn(d) {
			active = append(active, c)
		}
	}
	runs := e.runs()
	if len(runs) == 0 {
		return v
	}
	var attrDay Date
	var run *run
	switch {
	case len(active) > 0:
		v.Status, v.Active = StatusActive, true
		attrDay = d
		for i := range runs {
			if runs[i].contains(d) {
				run = &runs[i]
				break
			}
		}
	default:
		for i := range runs {
			if runs[i].start.After(d) {
				run = &runs[i]
				break
			}
		}
		if run != nil {
			v.Status = StatusPreHire
			attrDay = run.start
		} else {
			v.Status = StatusLeft
			run = &runs[len(runs)-1]
			attrDay = *run.end // a run before d always has an end
		}
	}
	if run != nil {
		start := run.start
		v.EmploymentStart = &start
		if run.end != nil {
			end := *run.end
			v.LeaveDate = &end
		}
	}
	attrContracts := active
	if !v.Active {
		for _, c := range e.Contracts {
			if c.activeOn(attrDay) {
				attrContracts = append(attrContracts, c)
			}
		}
	}
	sortPrimaryFirst(attrContracts)
	if v.Active {
		v.ActiveContracts = cloneContracts(attrContracts)
	}
	if len(attrContracts) > 0 {
		p := cloneContracts(attrContracts[:1])[0]
		v.Primary = &p
		v.Department, v.DepartmentName = p.Department, p.DepartmentName
		v.JobCode, v.JobTitle = p.JobCode, p.JobTitle
		v.Company, v.CostCenter = p.Company, p.CostCenter
		v.EmployeeType, v.ManagerEmployeeID = p.EmployeeType, p.ManagerEmployeeID
	}
	if withFuture {
		v.FutureChanges = e.futureChanges(v)
	}
	return v
}

// futureChanges evaluates the view on every later day where a contract
// starts or the day after one ends, and reports what changes there.
func (e Employee) futureChanges(cur View) []Change {
	seen := map[Date]bool{}
	var days []Date
	add := func(d Date) {
		if d.After(cur.Day) && !seen[d] {
			seen[d] = true
			days = append(days, d)
		}
	}
	for _, c := range e.Contracts {
		add(c.Start)
		if c.End != nil {
			add(c.End.AddDays(1))
		}
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })
	var out []Change
	prev := cur
	for _, d := range days {
		next := e.viewOn(d, false)
		for _, fc := range attributeDiff(prev, next) {
			out = append(out, Change{Date: d, FieldChange: fc})
		}
		prev = next
	}
	return out
}

// DiffViews lists the fields that differ from old to new: status, the
// directory attributes, the employment start and the leave date. The order
// is fixed, so the result is deterministic.
func DiffViews(old, new View) []FieldChange {
	out := attributeDiff(old, new)
	if a, b := datePtrString(old.EmploymentStart), datePtrString(new.EmploymentStart); a != b {
		out = append(out, FieldChange{Field: FieldEmploymentStart, Old: a, New: b})
	}
	if a, b := datePtrString(old.LeaveDate), datePtrString(new.LeaveDate); a != b {
		out = append(out, FieldChange{Field: FieldLeaveDate, Old: a, New: b})
	}
	return out
}

func attributeDiff(old, new View) []FieldChange {
	pairs := []struct{ f, a, b string }{
		{FieldStatus, string(old.Status), string(new.Status)},
		{FieldDepartment, old.Department, new.Department},
		{FieldDepartmentName, old.DepartmentName, new.DepartmentName},
		{FieldJobCode, old.JobCode, new.JobCode},
		{FieldJobTitle, old.JobTitle, new.JobTitle},
		{FieldCompany, old.Company, new.Company},
		{FieldCostCenter, old.CostCenter, new.CostCenter},
		{FieldEmployeeType, old.EmployeeType, new.EmployeeType},
		{FieldManager, old.ManagerEmployeeID, new.ManagerEmployeeID},
	}
	var out []FieldChange
	for _, p := range pairs {
		if p.a != p.b {
			out = append(out, FieldChange{Field: p.f, Old: p.a, New: p.b})
		}
	}
	return out
}

func datePtrString(d *Date) string {
	if d == nil {
		return ""
	}
	return d.String()
}

func (c Contract) activeOn(d Date) bool {
	if c.Start.IsZero() || c.Start.After(d) {
		return false
	}
	return c.End == nil || !c.End.Before(d)
}

// run is a continuous period of employment; end nil means open-ended.
type run struct {
	start Date
	end   *Date
}

func (r run) contains(d Date) bool {
	return !r.start.After(d) && (r.end == nil || !r.end.Before(d))
}

// runs merges the contracts into continuous runs, in start order. Contracts
// without a start are ignored (validation rejects them).
func (e Employee) runs() []run {
	cs := make([]Contract, 0, len(e.Contracts))
	for _, c := range e.Contracts {
		if !c.Start.IsZero() {
			cs = append(cs, c)
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Start.Before(cs[j].Start) })
	var out []run
	for _, c := range cs {
		var end *Date
		if c.End != nil {
			e := *c.End
			end = &e
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.end == nil || !c.Start.After(last.end.AddDays(1)) {
				if last.end != nil && (end == nil || end.After(*last.end)) {
					last.end = end
				}
				continue
			}
		}
		out = append(out, run{start: c.Start, end: end})
	}
	return out
}

func sortPrimaryFirst(cs []Contract) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if c := a.Start.Compare(b.Start); c != 0 {
			return c < 0
		}
		if a.FTE != b.FTE {
			return a.FTE > b.FTE
		}
		if c := compareEnd(a.End, b.End); c != 0 {
			return c > 0
		}
		return lessID(a.ID, b.ID)
	})
}

// compareEnd orders ends with open (nil) as the latest.
func compareEnd(a, b *Date) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(*b)
}

// lessID orders ids numerically when both are numbers, else as strings.
func lessID(a, b string) bool {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil && x != y {
		return x < y
	}
	return a < b
}

func cloneContracts(cs []Contract) []Contract {
	return Employee{Contracts: cs}.Clone().Contracts
}
