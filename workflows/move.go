package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/policy"
)

// MoveInput is a promotion, transfer or entitlement change, computed by the
// entity against the last applied view.
type MoveInput struct {
	EmployeeID string `json:"employeeId"`
	ObjectID   string `json:"objectId"`
	// Reason is "promotion", "transfer", "policy", "grace-ended", …
	Reason string                 `json:"reason"`
	Spec   activities.AccountSpec `json:"spec"`
	// Fields are the attributes that changed; only these are patched.
	Fields []string `json:"fields,omitempty"`
	// LinkManager asks to (re)link the manager ManagerEmployeeID ("" clears).
	LinkManager       bool                 `json:"linkManager,omitempty"`
	ManagerEmployeeID string               `json:"managerEmployeeId,omitempty"`
	Grant             []policy.Entitlement `json:"grant,omitempty"`
	Revoke            []policy.Entitlement `json:"revoke,omitempty"`
	// Sources tell the audit trail what grants (or granted) each entitlement, keyed by
	// activities.SourceKey.
	Sources map[string]string `json:"sources,omitempty"`
}

// MoveResult reports what a move changed.
type MoveResult struct {
	Changed         []string `json:"changed,omitempty"`
	ManagerLinked   bool     `json:"managerLinked,omitempty"`
	ManagerPending  bool     `json:"managerPending,omitempty"`
	ManagerObjectID string   `json:"managerObjectId,omitempty"`
}

// Move patches only the attributes that changed, moves the manager, grants
// the new entitlements and only then removes the old ones, so the person is
// never without access they are entitled to.
func Move(ctx workflow.Context, in MoveInput) (MoveResult, error) {
	var res MoveResult
	if len(in.Fields) > 0 {
		var upd activities.UpdateAccountResult
		if err := workflow.ExecuteActivity(graphWrites(ctx), a.UpdateAccount, activities.UpdateAccountInput{
			ObjectID: in.ObjectID, Spec: in.Spec, Fields: in.Fields,
		}).Get(ctx, &upd); err != nil {
			return res, fmt.Errorf("update attributes: %w", err)
		}
		res.Changed = upd.Changed
	}
	if in.LinkManager {
		var link activities.LinkManagerResult
		if err := workflow.ExecuteActivity(graphWrites(ctx), a.LinkManager, activities.LinkManagerInput{
			ObjectID: in.ObjectID, ManagerEmployeeID: in.ManagerEmployeeID,
		}).Get(ctx, &link); err != nil {
			return res, fmt.Errorf("link the manager: %w", err)
		}
		res.ManagerLinked, res.ManagerPending, res.ManagerObjectID = link.Found, !link.Found, link.ManagerObjectID
	}
	if err := grantThenRevoke(ctx, in.ObjectID, in.Grant, in.Revoke, in.Sources); err != nil {
		return res, err
	}
	return res, nil
}

// grantThenRevoke grants first and revokes after; sources (activities.SourceKey → source)
// tell the audit trail what grants or granted each entitlement.
func grantThenRevoke(ctx workflow.Context, objectID string, grant, revoke []policy.Entitlement, sources map[string]string) error {
	if len(grant) > 0 {
		if err := workflow.ExecuteActivity(graphWrites(ctx), a.GrantEntitlements, activities.EntitlementsInput{
			ObjectID: objectID, Entitlements: grant, Sources: sources,
		}).Get(ctx, nil); err != nil {
			return fmt.Errorf("grant entitlements: %w", err)
		}
	}
	if len(revoke) > 0 {
		if err := workflow.ExecuteActivity(graphWrites(ctx), a.RevokeEntitlements, activities.EntitlementsInput{
			ObjectID: objectID, Entitlements: revoke, Sources: sources,
		}).Get(ctx, nil); err != nil {
			return fmt.Errorf("revoke entitlements: %w", err)
		}
	}
	return nil
}
