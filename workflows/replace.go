package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/policy"
)

// ReplaceInput grants or revokes a temporary replacement's entitlements.
type ReplaceInput struct {
	EmployeeID    string               `json:"employeeId"`
	ObjectID      string               `json:"objectId"`
	ReplacementID string               `json:"replacementId"`
	Grant         []policy.Entitlement `json:"grant,omitempty"`
	Revoke        []policy.Entitlement `json:"revoke,omitempty"`
}

// Replace grants the replaced person's role entitlements to the substitute
// at the start and revokes, at the end, those no other source still grants
// (the entity computes both lists from the entitlements it tracks).
func Replace(ctx workflow.Context, in ReplaceInput) error {
	src := replacementSource(in.ReplacementID)
	sources := map[string]string{}
	for _, e := range in.Grant {
		sources[activities.SourceKey(e)] = src
	}
	for _, e := range in.Revoke {
		sources[activities.SourceKey(e)] = src
	}
	return grantThenRevoke(ctx, in.ObjectID, in.Grant, in.Revoke, sources)
}
