package activities

import (
	"context"

	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/policy"
)

// RecordAdoptionInput names an account the engine took over as it found it, and the
// access of the policy it held then.
type RecordAdoptionInput struct {
	EmployeeID string               `json:"employeeId"`
	ObjectID   string               `json:"objectId"`
	Held       []policy.Entitlement `json:"held,omitempty"`
	// Sources tell the trail which rule gives each entitlement (keyed by SourceKey).
	Sources map[string]string `json:"sources,omitempty"`
	// Reason is the lifecycle event: adopt (taken over in place) or hire.
	Reason string `json:"reason,omitempty"`
}

// RecordAdoptionResult says whether the audit trail holds the adoption.
type RecordAdoptionResult struct {
	Recorded bool `json:"recorded"`
}

// adoptionRecorder is implemented by the audited directory (Audited).
type adoptionRecorder interface {
	Adopted(ctx context.Context, userID string, held directory.Grant) error
}

// RecordAdoption appends to the audit trail that the engine took an existing account over
// and what it held then (account.adopted, group.held, license.held, approle.held), so the
// trail's "who holds" answers for adopted accounts from that moment on. It writes nothing to
// the directory; without an audit trail it records nothing.
func (a *Activities) RecordAdoption(ctx context.Context, in RecordAdoptionInput) (RecordAdoptionResult, error) {
	d, err := a.dir()
	if err != nil {
		return RecordAdoptionResult{}, err
	}
	r, ok := d.(adoptionRecorder)
	if !ok {
		return RecordAdoptionResult{}, nil
	}
	n, _ := audit.NoteFrom(ctx)
	n.EmployeeID, n.Reason = in.EmployeeID, in.Reason
	ctx = withSources(audit.WithNote(ctx, n), in.Sources)
	groups, licenses, roles := split(in.Held)
	held := directory.Grant{Licenses: licenses, AppRoles: roles}
	if len(groups) > 0 {
		ids, err := d.ResolveGroups(ctx, groups)
		if err != nil {
			return RecordAdoptionResult{}, graphError("resolve groups", err)
		}
		held.GroupIDs = groupIDs(ids, groups)
	}
	if err := r.Adopted(ctx, in.ObjectID, held); err != nil {
		return RecordAdoptionResult{}, err
	}
	return RecordAdoptionResult{Recorded: true}, nil
}
