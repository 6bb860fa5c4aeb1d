package workflows

import (
	"fmt"
	"slices"

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
	if workflow.GetVersion(ctx, versionMoveConcurrent, workflow.DefaultVersion, 1) == 1 {
		return moveConcurrent(ctx, in)
	}
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

// versionMoveConcurrent marks the Move that patches the attributes, links the manager and
// grants the new entitlements side by side (one Graph round trip instead of three before the
// new access is there), and revokes only after all of them succeeded.
const versionMoveConcurrent = "move-concurrent"

// moveConcurrent is Move from versionMoveConcurrent on. A licence waits for the attribute
// update when the update sets the usage location, which Entra requires before it assigns a
// licence.
func moveConcurrent(ctx workflow.Context, in MoveInput) (MoveResult, error) {
	var res MoveResult
	var updF, linkF, grantF workflow.Future
	if len(in.Fields) > 0 {
		updF = workflow.ExecuteActivity(graphWrites(ctx), a.UpdateAccount, activities.UpdateAccountInput{
			ObjectID: in.ObjectID, Spec: in.Spec, Fields: in.Fields,
		})
	}
	if in.LinkManager {
		linkF = workflow.ExecuteActivity(graphWrites(ctx), a.LinkManager, activities.LinkManagerInput{
			ObjectID: in.ObjectID, ManagerEmployeeID: in.ManagerEmployeeID,
		})
	}
	grant := func() workflow.Future {
		return workflow.ExecuteActivity(graphWrites(ctx), a.GrantEntitlements, activities.EntitlementsInput{
			ObjectID: in.ObjectID, Entitlements: in.Grant, Sources: in.Sources,
		})
	}
	licenceWaits := updF != nil && slices.Contains(in.Fields, activities.FieldUsageLocation) &&
		slices.ContainsFunc(in.Grant, func(e policy.Entitlement) bool { return e.Kind == policy.KindLicense })
	if len(in.Grant) > 0 && !licenceWaits {
		grantF = grant()
	}
	// Every started step is waited for, so nothing is revoked while a grant is in flight;
	// the first failure (in this order) wins.
	var errs []error
	if updF != nil {
		var upd activities.UpdateAccountResult
		if err := updF.Get(ctx, &upd); err != nil {
			errs = append(errs, fmt.Errorf("update attributes: %w", err))
		}
		res.Changed = upd.Changed
	}
	if len(in.Grant) > 0 && licenceWaits && len(errs) == 0 {
		grantF = grant()
	}
	if linkF != nil {
		var link activities.LinkManagerResult
		if err := linkF.Get(ctx, &link); err != nil {
			errs = append(errs, fmt.Errorf("link the manager: %w", err))
		}
		res.ManagerLinked, res.ManagerPending, res.ManagerObjectID = link.Found, !link.Found, link.ManagerObjectID
	}
	if grantF != nil {
		if err := grantF.Get(ctx, nil); err != nil {
			errs = append(errs, fmt.Errorf("grant entitlements: %w", err))
		}
	}
	if len(errs) > 0 {
		return res, errs[0]
	}
	return res, grantThenRevoke(ctx, in.ObjectID, nil, in.Revoke, in.Sources)
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
