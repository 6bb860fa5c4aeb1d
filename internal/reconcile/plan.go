// Package reconcile is the reconciliation planner: it compares the HR
// snapshot with the Entra accounts under the policy and says, employee by
// employee, what reconciliation would do (hire, rehire, move, exit, repair,
// or report an orphan). It is pure and deterministic: it reads nothing,
// writes nothing and imports no Temporal package. The activities read HR and
// Entra, call ComputePlan, and deliver the plan's actions.
package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/lifecycle"
	"github.com/entralifecycle/engine/internal/orgattr"
	"github.com/entralifecycle/engine/internal/policy"
)

// Reconciliation plan actions (the "action" values of the plan's JSON form).
const (
	// ActionHire: an employee who should have an account has none (or holds
	// a disabled pre-hire account that is due); delivered to the entity.
	ActionHire = "hire"
	// ActionRehire: a returning employee's account is disabled from an
	// earlier exit; delivered to the entity.
	ActionRehire = "rehire"
	// ActionMove: HR's organisational attributes differ from the account's
	// (promotion, transfer); delivered to the entity.
	ActionMove = "move"
	// ActionExit: an employee HR says has left still has an enabled
	// account; delivered to the entity.
	ActionExit = "exit"
	// ActionRepair: the account's attributes agree with HR but its managed
	// groups, licences or app roles were changed by hand; the minimal
	// writes are applied directly.
	ActionRepair = "repair"
	// ActionOrphan: an enabled account carries an employee id HR does not
	// know. Reported only, never changed or deleted automatically.
	ActionOrphan = "orphan"
)

// EntraAccount is one Entra user carrying an employeeId, with the managed
// entitlements it holds.
type EntraAccount struct {
	User directory.User `json:"user"`
	// Held are the managed groups, licences and app roles the user holds.
	Held []policy.Entitlement `json:"held,omitempty"`
	// Inherited are the managed licences of Held that the user holds only
	// through a group (group-based licensing): they satisfy a rule that names
	// them, and are never removed directly (Entra refuses that).
	Inherited []policy.Entitlement `json:"inherited,omitempty"`
}

// PlanInput is everything a plan is computed from.
type PlanInput struct {
	Snapshot hr.Snapshot
	Policy   *policy.Policy
	// At is the moment HR records are viewed at.
	At time.Time
	// Accounts are the tenant's users that carry an employeeId.
	Accounts []EntraAccount
	// PreviousEmployees is the HR snapshot size a previous run saw; zero
	// when unknown.
	PreviousEmployees int
}

// PlanAction is one employee's line of the plan.
type PlanAction struct {
	EmployeeID string `json:"employeeId"`
	Action     string `json:"action"`
	// ObjectID is the Entra account, when there is one.
	ObjectID    string `json:"objectId,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	// Changes describe the action for people, one line each.
	Changes []string `json:"changes"`
	// Add and Remove are the managed entitlements to grant and take
	// (repair and move).
	Add    []policy.Entitlement `json:"add,omitempty"`
	Remove []policy.Entitlement `json:"remove,omitempty"`
	// Org is what the account's organisational attributes should be, and
	// OrgFields the ones that differ (move, and repair of hand-edited
	// attributes).
	Org       *orgattr.Attributes `json:"org,omitempty"`
	OrgFields []string            `json:"orgFields,omitempty"`
	// Held explains why the action is not applied (a suspected HR outage).
	Held string `json:"held,omitempty"`
	// Notes say what the action leaves alone and why: a licence inherited
	// from a group, attributes mastered on-premises.
	Notes []string `json:"notes,omitempty"`
}

// PlanNote is something reconciliation leaves alone on an account that
// otherwise needs nothing, and why.
type PlanNote struct {
	EmployeeID string `json:"employeeId"`
	ObjectID   string `json:"objectId,omitempty"`
	Note       string `json:"note"`
}

// Removes reports whether the action takes access away: an exit, or a move
// or repair that removes a managed entitlement. While a plan awaits the
// mass-change guard's approval these are held back; joiners and additions
// proceed.
func (a PlanAction) Removes() bool {
	return a.Action == ActionExit || ((a.Action == ActionMove || a.Action == ActionRepair) && len(a.Remove) > 0)
}

// PlanSummary counts a plan.
type PlanSummary struct {
	// Employees is the HR snapshot size; Rejected the refused records.
	Employees int `json:"employees"`
	Rejected  int `json:"rejected"`
	// Accounts are the Entra users with an employeeId.
	Accounts int `json:"accounts"`
	// Managed are the enabled, in-scope accounts the engine manages (the
	// guard's total).
	Managed int `json:"managed"`
	// InSync are employees whose account needs nothing; OutOfScope are
	// employees and accounts the policy's scope leaves alone.
	InSync     int `json:"inSync"`
	OutOfScope int `json:"outOfScope"`
	Hire       int `json:"hire"`
	Rehire     int `json:"rehire"`
	Move       int `json:"move"`
	Exit       int `json:"exit"`
	Repair     int `json:"repair"`
	Orphan     int `json:"orphan"`
	// Held counts actions refused because of a suspected HR outage.
	Held int `json:"held"`
	// Removals counts the actions that take access away (see
	// PlanAction.Removes): what a tripped guard holds until approval.
	Removals int `json:"removals"`
	// Synced counts accounts synchronised from on-premises Active Directory
	// (their mastered attributes are never written); Inherited counts
	// managed licences held through a group (never removed directly).
	Synced    int `json:"synced"`
	Inherited int `json:"inherited"`
	// Outage explains why exits are refused; empty when the snapshot looks
	// normal.
	Outage string `json:"outage,omitempty"`
	// Guard is the mass-change guard's verdict on the plan's disables.
	Guard policy.GuardResult `json:"guard"`
}

// Actionable is the number of actions that change something when applied
// (orphans and held actions excluded).
func (s PlanSummary) Actionable() int {
	return s.Hire + s.Rehire + s.Move + s.Exit + s.Repair
}

// Plan is a computed reconciliation plan: actions sorted by employee id.
type Plan struct {
	Actions []PlanAction `json:"actions"`
	Summary PlanSummary  `json:"summary"`
	// Notes are about accounts that need no action (see PlanAction.Notes).
	Notes []PlanNote `json:"notes,omitempty"`
}

// withoutInherited splits removals into those the engine may make and the
// licences held only through a group, with a note for each of those.
func withoutInherited(remove, inherited []policy.Entitlement) (keep []policy.Entitlement, notes []string) {
	for _, e := range remove {
		if slices.ContainsFunc(inherited, func(i policy.Entitlement) bool { return i.Key() == e.Key() }) {
			notes = append(notes, "licence "+e.Name+" is inherited from a group: not removed (take the user out of that group)")
			continue
		}
		keep = append(keep, e)
	}
	return keep, notes
}

// outageShare is the share of the expected employee count below which a
// snapshot is taken for an HR outage: exits are then refused.
const outageShare = 0.5

// accountOf is an Entra account as the lifecycle rules see it: none, an
// enabled (active) one, a disabled one an exit left (it carries
// employeeLeaveDateTime) or a disabled pre-hire one. A deleted account is
// not listed, so it reads as none.
func accountOf(acc *EntraAccount) lifecycle.Account {
	switch {
	case acc == nil:
		return lifecycle.Account{State: lifecycle.NoAccount}
	case acc.User.AccountEnabled:
		return lifecycle.Account{State: lifecycle.Active}
	case !acc.User.EmployeeLeaveDateTime.IsZero():
		return lifecycle.Account{State: lifecycle.Left, LeftAt: acc.User.EmployeeLeaveDateTime}
	}
	return lifecycle.Account{State: lifecycle.PreHire}
}

func entitlementLines(prefix string, es []policy.Entitlement) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, prefix+" "+e.String())
	}
	return out
}

// ComputePlan compares the HR snapshot with the Entra accounts under the
// policy and returns what reconciliation would do. It is pure and
// deterministic, and writes nothing.
//
// Rules: employees outside the policy's scope and their accounts are never
// touched; a rejected HR record is neither a leaver nor an orphan; only
// managed entitlements are ever removed; an enabled account whose employee
// id HR does not know is an orphan, reported only. When the snapshot holds
// fewer than half the employees a previous run saw, or fewer than half the
// managed accounts, it is taken for an HR outage and every exit is held.
// The mass-change guard weighs the exits (disables) against the managed
// accounts; reconciliation itself never deletes an account.
func ComputePlan(in PlanInput) Plan {
	snap := in.Snapshot
	pl := &planner{in: in, rejected: rejectedIDs(snap.Rejected), byEmployee: accountsByEmployee(in.Accounts)}
	pl.s.Employees = len(snap.Employees)
	pl.s.Accounts = len(in.Accounts)
	pl.s.Rejected = len(pl.rejected)

	known := make(map[string]bool, len(snap.Employees))
	for _, e := range snap.Employees {
		known[e.EmployeeID] = true
		if pl.rejected[e.EmployeeID] {
			continue
		}
		pl.planEmployee(e)
	}
	pl.planOrphans(known)
	slices.SortFunc(pl.actions, func(a, b PlanAction) int {
		return cmp.Or(cmp.Compare(a.EmployeeID, b.EmployeeID), cmp.Compare(a.Action, b.Action))
	})
	pl.summarise(len(snap.Employees) + len(pl.rejected))
	return Plan{Actions: pl.actions, Summary: pl.s, Notes: pl.notes}
}

// planner collects ComputePlan's actions, notes and counts.
type planner struct {
	in         PlanInput
	rejected   map[string]bool
	byEmployee map[string]*EntraAccount
	s          PlanSummary
	actions    []PlanAction
	notes      []PlanNote
}

// rejectedIDs are the employee ids of rejected HR records that no
// replacement record stands in for.
func rejectedIDs(rs []hr.Rejection) map[string]bool {
	rejected := make(map[string]bool, len(rs))
	for _, r := range rs {
		if r.EmployeeID != "" && r.ReplacementID == "" {
			rejected[r.EmployeeID] = true
		}
	}
	return rejected
}

// accountsByEmployee picks each employee's account. Several accounts may
// carry one employee id; the enabled one (then the lowest object id) is the
// employee's account, the others are left alone.
func accountsByEmployee(accounts []EntraAccount) map[string]*EntraAccount {
	byEmployee := make(map[string]*EntraAccount, len(accounts))
	for i := range accounts {
		acc := &accounts[i]
		id := acc.User.EmployeeID
		if id == "" {
			continue
		}
		cur, ok := byEmployee[id]
		if !ok || (acc.User.AccountEnabled && !cur.User.AccountEnabled) ||
			(acc.User.AccountEnabled == cur.User.AccountEnabled && acc.User.ID < cur.User.ID) {
			byEmployee[id] = acc
		}
	}
	return byEmployee
}

// planEmployee plans one (not rejected) HR employee.
func (pl *planner) planEmployee(e hr.Employee) {
	p, s := pl.in.Policy, &pl.s
	acc := pl.byEmployee[e.EmployeeID]
	// What is due is the lifecycle rules' answer, the one the
	// employee's entity acts on (internal/lifecycle).
	d := lifecycle.Due(&e, p, accountOf(acc), pl.in.At)
	attrs := orgattr.PolicyAttributes(d.View)
	if !p.InScope(attrs) {
		s.OutOfScope++
		return
	}
	if acc != nil && acc.User.AccountEnabled {
		s.Managed++
	}
	if acc != nil {
		if acc.User.OnPremisesSyncEnabled {
			s.Synced++
		}
		s.Inherited += len(acc.Inherited)
	}
	want := policy.Distinct(p.Entitlements(attrs))
	switch {
	case d.Action == lifecycle.HireEnabled || d.Action == lifecycle.HireDisabled:
		pl.actions = append(pl.actions, PlanAction{
			EmployeeID: e.EmployeeID, Action: ActionHire,
			Changes: append([]string{"create account"}, entitlementLines("grant", want)...),
		})
	case acc == nil:
		s.InSync++
	case d.Action == lifecycle.Activate || d.Action == lifecycle.Rehire:
		a := PlanAction{EmployeeID: e.EmployeeID, ObjectID: acc.User.ID, DisplayName: acc.User.DisplayName, Action: ActionHire,
			Changes: []string{"enable account"}}
		if d.Action == lifecycle.Rehire {
			a.Action = ActionRehire
			a.Changes = []string{"enable account left on " + acc.User.EmployeeLeaveDateTime.Format(time.DateOnly)}
		}
		add, _ := p.Diff(acc.Held, want)
		a.Changes = append(a.Changes, entitlementLines("grant", add)...)
		pl.actions = append(pl.actions, a)
	case !acc.User.AccountEnabled:
		// A disabled pre-hire or leaver account: nothing to do now. The
		// entity may still prepare a comeback (RehireDisabled), exit a
		// withdrawn hire or delete after the retention period: none of
		// that is reconciliation's to deliver.
		s.InSync++
	case d.Action == lifecycle.Exit:
		remove, notes := withoutInherited(acc.Held, acc.Inherited)
		pl.actions = append(pl.actions, PlanAction{
			EmployeeID: e.EmployeeID, ObjectID: acc.User.ID, DisplayName: acc.User.DisplayName, Action: ActionExit,
			Changes: append([]string{"disable account", "revoke sign-in sessions"}, entitlementLines("remove", remove)...),
			Notes:   notes,
		})
	case d.Upcoming:
		// An enabled account ahead of the start date is the entity's
		// business on the start date; reconciliation leaves it.
		s.InSync++
	default:
		pl.planDrift(e.EmployeeID, acc, d.View, want)
	}
}

// planDrift plans an enabled, current employee's account: a move when its
// organisation attributes differ from HR, a repair when only entitlements
// do, else it is in sync.
func (pl *planner) planDrift(employeeID string, acc *EntraAccount, v hr.View, want []policy.Entitlement) {
	add, remove := pl.in.Policy.Diff(acc.Held, want)
	remove, notes := withoutInherited(remove, acc.Inherited)
	org := orgattr.Of(v)
	fields, diff := orgattr.Diff(acc.User, org)
	if acc.User.OnPremisesSyncEnabled && len(fields) > 0 {
		// Mastered on-premises: a PATCH would be refused with 400.
		notes = append(notes, "synchronised from on-premises Active Directory: "+strings.Join(fields, ", ")+
			" differ from HR and are left to Active Directory")
		fields, diff = nil, nil
	}
	ents := append(entitlementLines("add", add), entitlementLines("remove", remove)...)
	switch {
	case len(diff) > 0:
		pl.actions = append(pl.actions, PlanAction{
			EmployeeID: employeeID, ObjectID: acc.User.ID, DisplayName: acc.User.DisplayName, Action: ActionMove,
			Changes: append(diff, ents...), Add: add, Remove: remove, Org: &org, OrgFields: fields, Notes: notes,
		})
	case len(ents) > 0:
		pl.actions = append(pl.actions, PlanAction{
			EmployeeID: employeeID, ObjectID: acc.User.ID, DisplayName: acc.User.DisplayName, Action: ActionRepair,
			Changes: ents, Add: add, Remove: remove, Notes: notes,
		})
	default:
		pl.s.InSync++
		for _, n := range notes {
			pl.notes = append(pl.notes, PlanNote{EmployeeID: employeeID, ObjectID: acc.User.ID, Note: n})
		}
	}
}

// planOrphans reports the enabled, in-scope accounts whose employee id HR
// does not know (and did not reject).
func (pl *planner) planOrphans(known map[string]bool) {
	for id, acc := range pl.byEmployee {
		if known[id] || pl.rejected[id] {
			continue
		}
		if !pl.in.Policy.InScope(orgattr.AccountPolicyAttributes(acc.User)) {
			pl.s.OutOfScope++
			continue
		}
		if !acc.User.AccountEnabled {
			continue
		}
		pl.s.Managed++
		pl.actions = append(pl.actions, PlanAction{
			EmployeeID: id, ObjectID: acc.User.ID, DisplayName: acc.User.DisplayName, Action: ActionOrphan,
			Changes: []string{"HR does not know this employee id: review by hand (never deleted automatically)"},
		})
	}
}

// summarise detects a suspected HR outage (holding every exit), counts the
// actions and removals, and weighs the exits with the mass-change guard.
func (pl *planner) summarise(hrCount int) {
	s, in := &pl.s, pl.in
	switch {
	case in.PreviousEmployees > 0 && float64(hrCount) < outageShare*float64(in.PreviousEmployees):
		s.Outage = fmt.Sprintf("the HR snapshot holds %d employees, less than half of the %d a previous run saw: exits are refused until HR is back", hrCount, in.PreviousEmployees)
	case s.Managed > 0 && float64(hrCount) < outageShare*float64(s.Managed):
		s.Outage = fmt.Sprintf("the HR snapshot holds %d employees, less than half of the %d managed accounts: exits are refused until HR is back", hrCount, s.Managed)
	}
	for i := range pl.actions {
		a := &pl.actions[i]
		if a.Action == ActionExit && s.Outage != "" {
			a.Held = "suspected HR outage"
			s.Held++
			continue
		}
		switch a.Action {
		case ActionHire:
			s.Hire++
		case ActionRehire:
			s.Rehire++
		case ActionMove:
			s.Move++
		case ActionExit:
			s.Exit++
		case ActionRepair:
			s.Repair++
		case ActionOrphan:
			s.Orphan++
		}
	}
	for _, a := range pl.actions {
		if a.Held == "" && a.Removes() {
			s.Removals++
		}
	}
	s.Guard = in.Policy.Guard.Check(s.Managed, s.Exit, 0)
}

// PlanTable renders actions as an aligned, human-readable table.
func PlanTable(actions []PlanAction) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s %-8s %-28s %s\n", "EMPLOYEE", "ACTION", "ACCOUNT", "CHANGES")
	for _, a := range actions {
		name := a.DisplayName
		if name == "" {
			name = "-"
		}
		action := a.Action
		if a.Held != "" {
			action += " (held)"
		}
		changes := a.Changes
		if len(changes) == 0 {
			changes = []string{""}
		}
		for i, c := range changes {
			if i == 0 {
				fmt.Fprintf(&b, "%-12s %-8s %-28s %s\n", a.EmployeeID, action, truncate(name, 28), c)
				continue
			}
			fmt.Fprintf(&b, "%-12s %-8s %-28s %s\n", "", "", "", c)
		}
	}
	return b.String()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// SettleMoves tells hand edits from HR changes. A move whose organisational
// attributes the employee's entity workflow has already applied means HR did
// not change: someone edited the account in Entra. Such a move becomes a
// repair (the attributes are patched back directly, with the entitlement
// drift), since the entity, already in line with HR, would do nothing.
// applied returns what the entity last applied, false when there is no
// entity or it cannot say; those moves stay moves. The summary is updated.
func SettleMoves(plan *Plan, applied func(employeeID string) (orgattr.Attributes, bool)) {
	for i := range plan.Actions {
		a := &plan.Actions[i]
		if a.Action != ActionMove || a.Held != "" || a.Org == nil {
			continue
		}
		got, ok := applied(a.EmployeeID)
		if !ok || got != *a.Org {
			continue
		}
		a.Action = ActionRepair
		plan.Summary.Move--
		plan.Summary.Repair++
	}
}

// DriftKinds are the keys of PlanSummary.Drift, in a fixed order.
var DriftKinds = []string{ActionHire, ActionRehire, ActionMove, ActionExit, ActionRepair, ActionOrphan}

// Drift is the plan summary's drift by kind, keyed as DriftKinds.
func (s PlanSummary) Drift() map[string]int {
	return map[string]int{
		ActionHire: s.Hire, ActionRehire: s.Rehire, ActionMove: s.Move,
		ActionExit: s.Exit, ActionRepair: s.Repair, ActionOrphan: s.Orphan,
	}
}
