package activities

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/orgattr"
	"github.com/entralifecycle/engine/internal/policy"
)

// RolloutPageInput selects one page of the HR snapshot, in employee id order.
type RolloutPageInput struct {
	Offset int       `json:"offset"`
	Limit  int       `json:"limit"`
	At     time.Time `json:"at"`
}

// RolloutItem is one employee whose account's entitlements differ from what
// the current policy grants.
type RolloutItem struct {
	EmployeeID string               `json:"employeeId"`
	ObjectID   string               `json:"objectId"`
	Add        []policy.Entitlement `json:"add,omitempty"`
	Remove     []policy.Entitlement `json:"remove,omitempty"`
}

// RolloutPage is the difference for one page of employees.
type RolloutPage struct {
	Items []RolloutItem `json:"items,omitempty"`
	// Accounts is how many employees of the page are in scope and have an account.
	Accounts int `json:"accounts"`
	// Next is the offset of the next page, -1 after the last.
	Next int `json:"next"`
	// Total is the number of employees in the snapshot.
	Total int `json:"total"`
}

// PlanRolloutPage compares, for one page of active employees, what their
// accounts hold with what the current policy grants. Only managed
// entitlements count as removals; employees out of scope or without an
// account are skipped.
func (a *Activities) PlanRolloutPage(ctx context.Context, in RolloutPageInput) (RolloutPage, error) {
	if a.HR == nil {
		return RolloutPage{}, permanent("plan policy rollout", ErrTypeInvalidInput, errNotConfigured)
	}
	d, err := a.dir()
	if err != nil {
		return RolloutPage{}, err
	}
	snapPol, err := a.LoadPolicy(ctx)
	if err != nil {
		return RolloutPage{}, err
	}
	p := &snapPol.Policy
	snap, err := a.readSnapshot(ctx)
	if err != nil {
		return RolloutPage{}, fmt.Errorf("read HR snapshot: %w", err)
	}
	emps := slices.Clone(snap.Employees)
	slices.SortFunc(emps, func(x, y hr.Employee) int { return cmp.Compare(x.EmployeeID, y.EmployeeID) })
	limit := in.Limit
	if limit <= 0 {
		limit = 100
	}
	out := RolloutPage{Total: len(emps), Next: -1}
	if in.Offset >= len(emps) {
		return out, nil
	}
	end := min(in.Offset+limit, len(emps))
	if end < len(emps) {
		out.Next = end
	}
	var managedRoles []policy.Entitlement
	for _, m := range p.Managed() {
		if m.Kind == policy.KindAppRole {
			managedRoles = append(managedRoles, m)
		}
	}
	for _, e := range emps[in.Offset:end] {
		v := e.ViewAt(in.At, p.Location())
		attrs := orgattr.PolicyAttributes(v)
		if !v.Active || !p.InScope(attrs) {
			continue
		}
		u, ok, err := d.FindUserByEmployeeID(ctx, e.EmployeeID)
		if err != nil {
			return RolloutPage{}, graphError("find account of employee "+e.EmployeeID, err)
		}
		if !ok {
			continue
		}
		out.Accounts++
		have, err := a.ReadEntitlements(ctx, ReadEntitlementsInput{ObjectID: u.ID, AppRoles: managedRoles})
		if err != nil {
			return RolloutPage{}, err
		}
		add, remove := p.Diff(have, policy.Distinct(p.Entitlements(attrs)))
		if len(add)+len(remove) > 0 {
			out.Items = append(out.Items, RolloutItem{EmployeeID: e.EmployeeID, ObjectID: u.ID, Add: add, Remove: remove})
		}
	}
	return out, nil
}
