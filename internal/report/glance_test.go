package report

import (
	"context"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
)

// An entity the mass-change guard holds (LifecycleStatus awaiting-approval)
// counts under the status its account has: a held removal under the
// entity's own status, a held exit under the status it had before, an
// unknown state as active. It stays among what the guard holds.
func TestGlanceCountsHeldEntitiesUnderTheirStatus(t *testing.T) {
	held := func(st *EntityState) Entity {
		return Entity{EmployeeID: "E", WorkflowID: "employee/E", Status: statusAwaitingApproval, Execution: "Running", State: st}
	}
	cases := []struct {
		name           string
		ent            Entity
		want           string
		active, preHir int
	}{
		{"active", Entity{Status: statusActive}, statusActive, 1, 0},
		{"pre-hire", Entity{Status: statusPreHire}, statusPreHire, 0, 1},
		{"left", Entity{Status: statusLeft}, statusLeft, 0, 0},
		{"removal held, active", held(&EntityState{Status: statusActive}), statusActive, 1, 0},
		{"removal held, pre-hire", held(&EntityState{Status: statusPreHire}), statusPreHire, 0, 1},
		{"exit held, was active", held(&EntityState{Status: statusAwaitingApproval, HeldFrom: statusActive}), statusActive, 1, 0},
		{"exit held, was pre-hire", held(&EntityState{Status: statusAwaitingApproval, HeldFrom: statusPreHire}), statusPreHire, 0, 1},
		{"exit held, status before unknown", held(&EntityState{Status: statusAwaitingApproval}), statusActive, 1, 0},
		{"state not asked", held(nil), statusActive, 1, 0},
		{"left since the listing", held(&EntityState{Status: statusLeft}), statusLeft, 0, 0},
	}
	for _, tc := range cases {
		if got := countedStatus(tc.ent); got != tc.want {
			t.Errorf("%s: counted as %q, want %q", tc.name, got, tc.want)
		}
		runs := []HeldRun{{WorkflowID: "employee/E", WorkflowType: "Employee"}}
		g, _ := computeGlance([]Entity{tc.ent}, runs, now)
		if g.Active != tc.active || g.PreHire != tc.preHir || g.Held != 1 || g.Entities != 1 {
			t.Errorf("%s: glance %+v, want active %d pre-hire %d held 1", tc.name, g, tc.active, tc.preHir)
		}
	}
}

// The Temporal adapter reads the entity's own status and, for a held exit,
// the status it had before, from the state query.
func TestTemporalReadsTheStatusUnderAHold(t *testing.T) {
	running := enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	f := &fakeTemporal{
		pages: map[string][][]*workflowpb.WorkflowExecutionInfo{entityQuery: {{
			execution(t, "employee/E7", "Employee", running, now, map[string]any{"EmployeeId": "E7", "LifecycleStatus": statusAwaitingApproval}),
			execution(t, "employee/E8", "Employee", running, now, map[string]any{"EmployeeId": "E8", "LifecycleStatus": statusAwaitingApproval}),
		}}},
		answers: map[string]any{
			"employee/E7/state": map[string]any{"employeeId": "E7", "status": "active", "removalGuard": map[string]any{"state": "held"}},
			"employee/E8/state": map[string]any{"employeeId": "E8", "status": "awaiting-approval",
				"exitGuard": map[string]any{"state": "held", "heldFrom": "pre-hire"}},
		},
	}
	ents, err := (&Temporal{Client: f, Namespace: "default"}).Entities(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 || ents[0].State == nil || ents[1].State == nil {
		t.Fatalf("entities %+v", ents)
	}
	if s := ents[0].State; s.Status != statusActive || s.HeldFrom != "" {
		t.Errorf("E7 (removal held) state %+v", s)
	}
	if s := ents[1].State; s.Status != statusAwaitingApproval || s.HeldFrom != statusPreHire {
		t.Errorf("E8 (exit held) state %+v", s)
	}
	g, _ := computeGlance(ents, nil, now)
	if g.Active != 1 || g.PreHire != 1 {
		t.Errorf("glance %+v, want one active and one pre-hire", g)
	}
}
