package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/entralifecycle/engine/internal/graphsim"
)

// seedStaff gives n ICT employees accounts holding what the test policy grants.
func seedStaff(t *testing.T, h *harness, n int) []string {
	var ids []string
	seed := graphsim.Seed{}
	for i := 0; i < n; i++ {
		id := itoa(5000 + i)
		upn := "staff" + id + "@contoso.example"
		ids = append(ids, id)
		h.setEmployee(person(id, "Staff", "", id, contract(id+"-1", "2025-01-01", "", "ICT", "F045", "Beheerder", managerID)))
		seed.Users = append(seed.Users, map[string]any{"displayName": "Staff " + id, "userPrincipalName": upn,
			"accountEnabled": true, "employeeId": id, "usageLocation": "NL"})
		seed.Memberships = append(seed.Memberships, graphsim.SeedMembership{Group: "All Staff", Member: upn},
			graphsim.SeedMembership{Group: "ICT Admins", Member: upn})
		seed.Licenses = append(seed.Licenses, graphsim.SeedLicense{User: upn, SKU: "SPE_E3"})
	}
	if err := h.sim.Seed(seed); err != nil {
		t.Fatal(err)
	}
	return ids
}

// A policy that only adds access is rolled out to every affected employee
// (the five ICT staff, and the manager whose seeded account lacks the
// birthright access), page by page, without approval.
func TestPolicyRolloutAdds(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	seedStaff(t, h, 5)
	h.setPolicy(strings.Replace(h.policy(), `groups: ["ICT Admins"]`, `groups: ["ICT Admins", "Finance"]`, 1))
	var told []string
	var res PolicyRolloutResult
	if err := h.runThroughContinueAsNew(PolicyRolloutWorkflowName, PolicyRolloutInput{PageSize: 2, Interval: time.Second}, &res, decodeRollout, func() {
		h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", SignalHRChanged, HRChanged{Reason: ReasonPolicyChanged, Source: "policy-rollout"}).
			Run(func(args mock.Arguments) { told = append(told, args.String(1)) }).Return(nil)
	}); err != nil {
		t.Fatal(err)
	}
	if res.Status != RunDone || res.Affected != 6 || res.Removals != 0 || res.Signalled != 6 || len(told) != 6 || told[0] != "employee/2000" || told[5] != "employee/5004" {
		t.Errorf("result %+v told %v", res, told)
	}
}

// Removals above the guard's threshold pause the rollout for approval; a
// rejection stops it without touching anyone.
func TestPolicyRolloutGuardPausesRemovals(t *testing.T) {
	for _, approve := range []bool{true, false} {
		h := newHarness(t, at("2026-03-02", 8, 0), 0)
		seedStaff(t, h, 4)
		h.setPolicy(strings.Replace(h.policy(), `when: {department: ["ICT"]}`, `when: {department: ["HR"]}`, 1))
		told := 0
		var res PolicyRolloutResult
		err := h.runThroughContinueAsNew(PolicyRolloutWorkflowName, PolicyRolloutInput{}, &res, decodeRollout, func() {
			h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", SignalHRChanged, mock.Anything).
				Run(func(mock.Arguments) { told++ }).Return(nil)
			// The approval passed to the entities whose access goes
			// (rollout_removal_test.go).
			h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", SignalRemovalApproval, mock.Anything).Return(nil).Maybe()
			h.when(h.env.Now().Add(time.Hour), func() {
				if in, ok := h.queryRollout(); !ok || in.Phase != rolloutPlan {
					return
				}
				in, _ := h.queryRollout()
				if in.Removals != 4 || told != 0 {
					t.Errorf("while paused: removals %d told %d", in.Removals, told)
				}
				if approve {
					h.env.SignalWorkflow(SignalApprove, nil)
				} else {
					h.env.SignalWorkflow(SignalReject, nil)
				}
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case approve && (res.Status != RunDone || told != 5 || res.Removals != 4):
			t.Errorf("approved: %+v told %d", res, told)
		case !approve && (res.Status != RunRejected || told != 0 || !res.Guard.Tripped):
			t.Errorf("rejected: %+v told %d", res, told)
		}
	}
}

// An entity told that the policy changed reloads it and applies the
// difference: new access granted, access the policy no longer grants removed.
func TestEntityAppliesChangedPolicy(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	const upn = "jan.devries@contoso.example"
	h.setEmployee(person("1001", "Jan", "de", "Vries", contract("1001-1", "2025-01-01", "", "ICT", "F045", "Systeembeheerder", managerID)))
	h.when(at("2026-03-02", 9, 0), func() {
		h.setPolicy(strings.Replace(h.policy(), `groups: ["ICT Admins"]`, `groups: ["Finance"]`, 1))
		h.env.SignalWorkflow(SignalHRChanged, HRChanged{Reason: ReasonPolicyChanged, Source: "policy-rollout"})
	})
	h.when(at("2026-03-02", 9, 5), func() {
		g := h.sim.UserGroups(upn)
		if !has(g, "Finance") || has(g, "ICT Admins") || !has(g, "All Staff") {
			t.Errorf("after the policy change: %v", g)
		}
	})
	h.run("1001", at("2026-03-03", 0, 0))
}

func decodeRollout(p *commonpb.Payloads) (any, error) {
	var in PolicyRolloutInput
	err := converter.GetDefaultDataConverter().FromPayloads(p, &in)
	return in, err
}

func (h *harness) queryRollout() (PolicyRolloutInput, bool) {
	var in PolicyRolloutInput
	v, err := h.env.QueryWorkflow(QueryState)
	if err != nil || v.Get(&in) != nil {
		return in, false
	}
	return in, true
}
