package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/entityaddr"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/lifecycle"
	"github.com/entralifecycle/engine/internal/orgattr"
	"github.com/entralifecycle/engine/internal/policy"
)

// HRChanged is the payload of SignalHRChanged (entityaddr.HRChanged).
type HRChanged = entityaddr.HRChanged

// ReportWaiting is the payload of SignalReportWaiting.
type ReportWaiting struct {
	EmployeeID string `json:"employeeId"`
}

// ReplaceRequest starts a temporary replacement; it is sent to the
// substitute's entity. From and Until are "YYYY-MM-DD" (a day in the
// policy's time zone; Until is the last day, inclusive) or RFC 3339 moments;
// an empty From means now, an empty Until means until ended on request.
type ReplaceRequest struct {
	ReplacementID      string `json:"replacementId"`
	ReplacedEmployeeID string `json:"replacedEmployeeId"`
	From               string `json:"from,omitempty"`
	Until              string `json:"until,omitempty"`
}

// ExtendRequest moves a replacement's end.
type ExtendRequest struct {
	ReplacementID string `json:"replacementId"`
	Until         string `json:"until"`
}

// EndReplacementRequest ends a replacement at At (empty: now).
type EndReplacementRequest struct {
	ReplacementID string `json:"replacementId"`
	At            string `json:"at,omitempty"`
}

// Replacement states.
const (
	ReplacementScheduled = "scheduled"
	ReplacementActive    = "active"
	ReplacementEnded     = "ended"
)

// ReplacementStatus is a replacement as the substitute's entity tracks it;
// the replacement updates answer with it.
type ReplacementStatus struct {
	ID                 string    `json:"id"`
	ReplacedEmployeeID string    `json:"replacedEmployeeId"`
	Start              time.Time `json:"start"`
	// End is zero while the replacement runs until ended on request.
	End   time.Time `json:"end,omitzero"`
	State string    `json:"state"`
	// Entitlements are what the substitute holds through it.
	Entitlements []policy.Entitlement `json:"entitlements,omitempty"`
	Error        string               `json:"error,omitempty"`
}

// heldEntitlement is one entitlement with the source that grants it. The
// same entitlement may be held through several sources; it is revoked only
// when none is left.
type heldEntitlement struct {
	policy.Entitlement
	// Source is "role:<rule>" or "replacement:<id>".
	Source string `json:"source"`
	// Until is when it expires (a transfer's grace period, a replacement's end).
	Until *time.Time `json:"until,omitempty"`
}

// pendingTimer is a future moment the entity will act at.
type pendingTimer struct {
	What string    `json:"what"`
	At   time.Time `json:"at"`
}

// entityState is the employee entity's state: what `starter status --json`
// prints, and what continue-as-new carries.
type entityState struct {
	EmployeeID string       `json:"employeeId"`
	Status     EntityStatus `json:"status"`
	ObjectID   string       `json:"objectId,omitempty"`
	UPN        string       `json:"userPrincipalName,omitempty"`
	// Employee is the latest HR record; AppliedView what the account reflects.
	Employee    *hr.Employee  `json:"employee,omitempty"`
	AppliedView *hr.View      `json:"appliedView,omitempty"`
	Names       *policy.Names `json:"names,omitempty"`
	// AddressAdopted is true while the UPN, mail nickname and mail are those
	// of an existing account the entity adopted, not ones the engine chose:
	// only a change of the person's names moves them to the naming template.
	AddressAdopted bool   `json:"addressAdopted,omitempty"`
	HRNote         string `json:"hrNote,omitempty"`

	ManagerEmployeeID string     `json:"managerEmployeeId,omitempty"`
	ManagerObjectID   string     `json:"managerObjectId,omitempty"`
	ManagerPending    bool       `json:"managerPending,omitempty"`
	ManagerRetryAt    *time.Time `json:"managerRetryAt,omitempty"`

	Entitlements []heldEntitlement   `json:"entitlements,omitempty"`
	Replacements []ReplacementStatus `json:"replacements,omitempty"`
	Timers       []pendingTimer      `json:"pendingTimers,omitempty"`
	// WaitingReports are reports whose manager link waits for this account.
	WaitingReports []string `json:"waitingReports,omitempty"`

	PolicyHash  string                  `json:"policyHash,omitempty"`
	HiredAt     *time.Time              `json:"hiredAt,omitempty"`
	ActivatedAt *time.Time              `json:"activatedAt,omitempty"`
	LeftAt      *time.Time              `json:"leftAt,omitempty"`
	DeletedAt   *time.Time              `json:"deletedAt,omitempty"`
	Pass        *activities.PassReceipt `json:"temporaryAccessPass,omitempty"`
	// AccountNote says what the entity found when it last checked the
	// account against the directory and had to adopt, restore or recreate it.
	AccountNote string `json:"accountNote,omitempty"`
	// VerifiedAt is when the account was last checked against the directory.
	VerifiedAt *time.Time `json:"verifiedAt,omitempty"`
	// Guard is where a due exit stands with the tenant-wide mass-change guard.
	Guard *exitGuard `json:"exitGuard,omitempty"`
	// RemovalGuard is where a Move's removal of managed access stands with
	// the guard, while it is held, or after it was rejected.
	RemovalGuard *removalGuard `json:"removalGuard,omitempty"`
	// PreApproved names an approval already given for the coming exit (a
	// reconciliation whose own guard was approved).
	PreApproved string `json:"preApproved,omitempty"`
	// RemovalPreApproval is an approval already given for a coming removal
	// of managed access (an approved policy rollout or reconciliation), and
	// what it covers.
	RemovalPreApproval *removalPreApproval `json:"removalPreApproval,omitempty"`

	LastEvent   string     `json:"lastEvent,omitempty"`
	LastEventAt *time.Time `json:"lastEventAt,omitempty"`
	LastError   string     `json:"lastError,omitempty"`
	// Warnings say what the account does not hold as HR has it and why (a
	// value shortened to Entra's limit, properties mastered on-premises, a
	// licence inherited from a group), from the latest hire.
	Warnings []string `json:"warnings,omitempty"`
	// Blocked stops automatic actions after a failure until the next HR
	// change, request or RetryAt.
	Blocked bool       `json:"blocked,omitempty"`
	RetryAt *time.Time `json:"retryAt,omitempty"`
	// Events counts the child workflows run, across continue-as-new.
	Events int `json:"events"`
}

func (st *entityState) hasAccount() bool {
	return st.ObjectID != "" && (st.Status == StatusPreHire || st.Status == StatusActive || st.Status == StatusAwaitingApproval)
}

// moments are where an employee stands at a moment (lifecycle.Moments),
// in the field names the entity's actions use.
type moments struct {
	view hr.View
	// start is the start of the employment run (view.EmploymentStart) in the
	// policy's time zone; leave the moment access ends; create when a
	// pre-hire account is created.
	start, leave, create time.Time
	// employed: working now; upcoming: a run starts later.
	employed, upcoming bool
	// at is the same, as the lifecycle rules take it.
	at lifecycle.Moments
}

// momentsOf is lifecycle.At: the one derivation of the moments that matter,
// shared with the reconciliation planner.
func momentsOf(e *hr.Employee, p *policy.Policy, now time.Time) moments {
	l := lifecycle.At(e, p, now)
	return moments{view: l.View, start: l.Start, leave: l.Leave, create: l.Create,
		employed: l.Employed, upcoming: l.Upcoming, at: l}
}

// account is the entity's account as the lifecycle rules see it. A failed
// hire counts as no account; an exit awaiting the guard's approval as an
// active one.
func (st *entityState) account() lifecycle.Account {
	switch st.Status {
	case StatusPreHire:
		return lifecycle.Account{State: lifecycle.PreHire}
	case StatusActive, StatusAwaitingApproval:
		return lifecycle.Account{State: lifecycle.Active}
	case StatusLeft:
		a := lifecycle.Account{State: lifecycle.Left}
		if st.LeftAt != nil {
			a.LeftAt = *st.LeftAt
		}
		return a
	case StatusDeleted:
		return lifecycle.Account{State: lifecycle.Deleted}
	case StatusAccountMissing:
		return lifecycle.Account{State: lifecycle.Missing}
	}
	return lifecycle.Account{State: lifecycle.NoAccount}
}

// decide is what the lifecycle rules say is due for the entity at now: the
// answer step acts on and timers wait for.
func (st *entityState) decide(m moments, p *policy.Policy, now time.Time) lifecycle.Decision {
	return m.at.Decide(p, st.account(), now)
}

// personOf is the name data of an employee.
func personOf(e hr.Employee) policy.Person {
	return policy.Person{
		GivenName: e.GivenName, Prefix: e.Prefix, FamilyName: e.FamilyName, PreferredName: e.PreferredName,
		PartnerPrefix: e.PartnerPrefix, PartnerFamilyName: e.PartnerFamilyName, NameUsage: e.NameUsage,
	}
}

// specOf is the organisational part of an account for a view.
func specOf(employeeID string, v hr.View, p *policy.Policy, start time.Time) activities.AccountSpec {
	return activities.AccountSpec{
		EmployeeID: employeeID, Attributes: orgattr.FromView(v),
		UsageLocation: p.Tenant.UsageLocation, HireDate: start,
	}
}

// orgFieldsChanged lists the account attributes that differ between two views.
func orgFieldsChanged(old, cur hr.View) []string {
	return orgattr.ChangedProperties(old, cur)
}

// roleEntries are the policy's grants for a view, as held entitlements.
func roleEntries(p *policy.Policy, v hr.View) []heldEntitlement {
	var out []heldEntitlement
	for _, g := range p.Entitlements(orgattr.PolicyAttributes(v)) {
		out = append(out, heldEntitlement{Entitlement: g.Entitlement, Source: g.Source()})
	}
	return out
}

func entryKey(h heldEntitlement) string { return h.Source + "\x00" + h.Key() }

// retarget computes the entitlements held after a change: the role grants
// of the new view replace the old ones; old role grants are kept until
// graceUntil when it is set (a transfer's grace period); entries that expired
// by now are dropped; replacement entries stay. grant and revoke are the
// entitlements to add and to remove: an entitlement is revoked only when no
// source holds it any more. Every held entry is something the engine granted
// itself, so it is removed even when a changed policy no longer names it.
func retarget(p *policy.Policy, held, roles []heldEntitlement, now time.Time, graceUntil *time.Time) (next []heldEntitlement, grant, revoke []policy.Entitlement) {
	newRole := map[string]bool{}
	for _, r := range roles {
		newRole[entryKey(r)] = true
	}
	for _, h := range held {
		switch {
		case newRole[entryKey(h)]:
			continue // replaced by the fresh role entry
		case h.Until != nil && !now.Before(*h.Until):
			continue // expired
		case strings.HasPrefix(h.Source, "role:") && h.Until == nil:
			if graceUntil != nil {
				u := *graceUntil
				h.Until = &u
				next = append(next, h)
			}
			continue
		}
		next = append(next, h)
	}
	next = append(next, roles...)
	sortHeld(next)
	grant, revoke = heldDiff(held, next)
	return next, grant, revoke
}

// heldDiff compares the distinct entitlements of two held lists.
func heldDiff(before, after []heldEntitlement) (grant, revoke []policy.Entitlement) {
	had, has := map[string]bool{}, map[string]bool{}
	for _, h := range before {
		had[h.Key()] = true
	}
	for _, h := range after {
		has[h.Key()] = true
	}
	seen := map[string]bool{}
	for _, h := range after {
		if !had[h.Key()] && !seen[h.Key()] {
			seen[h.Key()] = true
			grant = append(grant, h.Entitlement)
		}
	}
	for _, h := range before {
		if !has[h.Key()] && !seen[h.Key()] {
			seen[h.Key()] = true
			revoke = append(revoke, h.Entitlement)
		}
	}
	slices.SortFunc(grant, policy.Compare)
	slices.SortFunc(revoke, policy.Compare)
	return grant, revoke
}

func sortHeld(hs []heldEntitlement) {
	slices.SortStableFunc(hs, func(x, y heldEntitlement) int {
		if c := policy.Compare(x.Entitlement, y.Entitlement); c != 0 {
			return c
		}
		return strings.Compare(x.Source, y.Source)
	})
}

func distinct(hs []heldEntitlement) []policy.Entitlement {
	var out []policy.Entitlement
	seen := map[string]bool{}
	for _, h := range hs {
		if !seen[h.Key()] {
			seen[h.Key()] = true
			out = append(out, h.Entitlement)
		}
	}
	return out
}

// parseMoment reads "YYYY-MM-DD" as the start of that day in loc (the end of
// it when endOfDay, i.e. the next day's start) or an RFC 3339 moment exactly.
func parseMoment(s string, loc *time.Location, endOfDay bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if d, err := hr.ParseDate(s); err == nil {
		if endOfDay {
			d = d.AddDays(1)
		}
		return d.In(loc), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither YYYY-MM-DD nor an RFC 3339 moment", s)
	}
	return t, nil
}

func ptrTime(t time.Time) *time.Time { return &t }

// sourcesOf maps each held entitlement to its source for the audit trail (the first source
// wins when several grant the same entitlement). It ranges over the slices only, so the
// result does not depend on map order.
func sourcesOf(held ...[]heldEntitlement) map[string]string {
	out := map[string]string{}
	for _, hs := range held {
		for _, h := range hs {
			k := activities.SourceKey(h.Entitlement)
			if _, ok := out[k]; !ok {
				out[k] = h.Source
			}
		}
	}
	return out
}
