package workflows

import (
	"testing"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/policy"
)

// sourcesOf tells the audit trail which rule or replacement grants each entitlement; the
// first list wins, so a move records the new grant's rule over the old one.
func TestSourcesOf(t *testing.T) {
	next := []heldEntitlement{
		{Entitlement: policy.Group("All Staff"), Source: "role:all-staff"},
		{Entitlement: policy.Group("Sales"), Source: "role:sales"},
	}
	old := []heldEntitlement{
		{Entitlement: policy.Group("all staff"), Source: "role:everyone"},
		{Entitlement: policy.Group("ICT Admins"), Source: "replacement:r-1"},
	}
	got := sourcesOf(next, old)
	want := map[string]string{
		activities.SourceKey(policy.Group("All Staff")):  "role:all-staff",
		activities.SourceKey(policy.Group("Sales")):      "role:sales",
		activities.SourceKey(policy.Group("ICT Admins")): "replacement:r-1",
	}
	if len(got) != len(want) {
		t.Fatalf("sourcesOf = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("source of %s = %q, want %q", k, got[k], v)
		}
	}
}
