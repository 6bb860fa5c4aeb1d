package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/devstack"
	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/testenv"
	"github.com/entralifecycle/engine/workflows"
)

// A policy change rolled out through the CLI: the rule that gave ICT its admin group narrows
// to a job code nobody has, so half the organisation loses access. The rollout's own guard pauses it
// (awaiting-approval, nothing removed); `starter rollout approve` releases it, and the
// approval travels with each removal, so the tenant-wide removal guard (10 % by default)
// holds none of them a second time: every ICT account loses the group, nobody else changes.
func TestPolicyRolloutThroughTheCLI(t *testing.T) {
	s := startStack(t, devstack.Options{
		GraphAddr: rcFreeAddr(t),
		GraphSeed: &graphsim.Seed{Domains: []string{"contoso.example"}, Groups: []graphsim.SeedGroup{
			{DisplayName: "All Staff"}, {DisplayName: "ICT Admins"}, {DisplayName: "Sales"}}},
	})
	sim := s.Graph()
	org := testenv.NewHR()
	const n = 20
	for i := range n {
		org.Set(rcOrgEmployee(i, rcDeptOf(i), nil))
	}
	quiet := testenv.Quiet()
	pol := testenv.NewPolicy(rcPolicy)
	c := dial(t, s, client.Options{Logger: quiet})
	const tq = "e2e-rollout"
	w := worker.New(c, tq, worker.Options{})
	workflows.Register(w, &activities.Activities{Identity: "e2e-rollout", Directory: testenv.Directory(t, s.GraphBaseURL(), ""),
		HR: org.Source(t, "e2e rollout organisation"), Logger: quiet, Policy: pol.Load})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	rcRunReconcile(t, c, tq, "reconcile/e2e-rollout")
	ict := func() (members []string) {
		for i := range n {
			u, ok := rcUserByEmployeeID(t, s.GraphBaseURL(), rcOrgEmployee(i, "", nil).EmployeeID)
			if ok && slices.Contains(sim.UserGroups(u), "ICT Admins") {
				members = append(members, u)
			}
		}
		return members
	}
	rcSettle(t, sim, func() bool { return len(ict()) == n/2 })

	// ICT Admins now goes to ICT's administrators only (job code ADM, which nobody has):
	// the group stays managed, and n/2 of n accounts lose it, far past maxDisablePercent (5).
	admins := strings.Replace(testenv.RuleICT, `department: ["ICT"]`, `department: ["ICT"], jobCode: ["ADM"]`, 1)
	pol.Set(strings.Replace(rcPolicy, testenv.RuleICT, admins, 1))
	out := rcStarter(t, s, tq, "rollout", "--interval", "10ms")
	if !strings.Contains(out, "awaiting-approval") || !strings.Contains(out, "starter rollout approve") {
		t.Fatalf("the rollout's guard did not pause it:\n%s", out)
	}
	var id string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "starter" && f[2] == "approve" {
			id = f[3]
		}
	}
	var v rolloutStatusJSON
	if err := json.Unmarshal([]byte(rcStarter(t, s, tq, "rollout", "status", id, "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.Status != string(workflows.RunAwaitingApproval) || v.Removals != n/2 || v.Accounts != n {
		t.Fatalf("status of the paused rollout: %+v, want awaiting-approval with %d of %d losing access", v, n/2, n)
	}
	if got := len(ict()); got != n/2 {
		t.Fatalf("%d ICT Admins members while the rollout waits, want %d: nothing removed before approval", got, n/2)
	}
	if _, err := rcStarterOutput(t, s, tq, "rollout", "approve", "policy-rollout/none"); err == nil {
		t.Error("approving a rollout that does not exist succeeded")
	}

	if out := rcStarter(t, s, tq, "rollout", "approve", id, "--by", "e2e"); !strings.Contains(out, "approved "+id) {
		t.Fatalf("approve: %s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var res workflows.PolicyRolloutResult
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != workflows.RunDone || res.Signalled != n/2 || len(res.Skipped) != 0 {
		t.Fatalf("approved rollout: %+v", res)
	}
	rcSettle(t, sim, func() bool { return len(ict()) == 0 })
	for i := range n {
		u, _ := rcUserByEmployeeID(t, s.GraphBaseURL(), rcOrgEmployee(i, "", nil).EmployeeID)
		want := []string{"All Staff"}
		if rcDeptOf(i) == "Sales" {
			want = []string{"All Staff", "Sales"}
		}
		if got := rcGroupsOf(sim, u); !slices.Equal(got, want) {
			t.Errorf("employee %d groups %v after the rollout, want %v", i, got, want)
		}
	}
	if again, err := rcStarterOutput(t, s, tq, "rollout", "approve", id); err == nil || !strings.Contains(again, "does not wait for approval") {
		t.Errorf("approving a finished rollout: %v\n%s", err, again)
	}
}

// rolloutStatusJSON is the part of `starter rollout status --json` the test reads.
type rolloutStatusJSON struct {
	Status   string `json:"status"`
	Accounts int    `json:"accounts"`
	Removals int    `json:"removals"`
}
