package workflows

import (
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
)

// The engine adopted on a tenant that already has accounts: entities start
// with no state while Entra holds the employees' accounts.

const (
	adoptID  = "1001"
	adoptUPN = "jan.devries@contoso.example"
)

// leaver is an employee of ICT whose contract ended on Friday 27 February.
func leaver() hr.Employee {
	return person(adoptID, "Jan", "de", "Vries", contract(adoptID+"-1", "2024-01-01", "2026-02-27", "ICT", "F045", "Systeembeheerder", managerID))
}

// seedAccount gives employee adoptID an existing account holding what the
// policy grants ICT staff (All Staff, ICT Admins, SPE_E3) plus an unmanaged
// group and an unmanaged licence, and returns its object id.
func seedAccount(h *harness, enabled bool) string {
	h.t.Helper()
	ids, err := h.sim.SeedWithResult(graphsim.Seed{
		Users: []map[string]any{{
			"displayName": "Jan de Vries", "userPrincipalName": adoptUPN, "mail": adoptUPN, "employeeId": adoptID,
			"givenName": "Jan", "surname": "de Vries", "jobTitle": "Systeembeheerder", "department": "ICT",
			"usageLocation": "NL", "accountEnabled": enabled,
		}},
		Memberships: []graphsim.SeedMembership{{Group: "All Staff", Member: adoptUPN}, {Group: "ICT Admins", Member: adoptUPN},
			{Group: "Unmanaged Club", Member: adoptUPN}},
		Licenses: []graphsim.SeedLicense{{User: adoptUPN, SKU: "SPE_E3"}, {User: adoptUPN, SKU: "POWER_BI_PRO"}},
	})
	if err != nil {
		h.t.Fatalf("seed: %v", err)
	}
	return ids.Users[adoptUPN]
}

// A new entity for an employee who has already left, whose account is still
// enabled, adopts the account and runs the exit: disabled, sessions revoked,
// managed access removed (unmanaged kept), leave date set, manager told, and
// the account deleted after the retention period.
func TestNewEntityExitsEnabledAccountOfLeaver(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	h.setEmployee(leaver())
	objectID := seedAccount(h, true)
	h.when(at("2026-03-02", 9, 0), func() {
		u := h.user(adoptUPN)
		if boolOf(u, "accountEnabled") {
			t.Fatal("the leaver's account is still enabled")
		}
		if n := h.sim.SignInRevocations(adoptUPN); n != 1 {
			t.Errorf("sign-in revocations = %d, want 1", n)
		}
		if g := h.sim.UserGroups(adoptUPN); !slices.Equal(g, []string{"Unmanaged Club"}) {
			t.Errorf("groups after the exit = %v, want only the unmanaged one", g)
		}
		if l := h.sim.UserLicenses(adoptUPN); !slices.Equal(l, []string{"POWER_BI_PRO"}) {
			t.Errorf("licences after the exit = %v, want only the unmanaged one", l)
		}
		// The leave moment is the last day's leaveTime, 17:00 in Amsterdam.
		if got := str(u, "employeeLeaveDateTime"); got != "2026-02-27T16:00:00Z" {
			t.Errorf("employeeLeaveDateTime = %q", got)
		}
		var told bool
		for _, m := range h.sim.SentMail() {
			if slices.Contains(m.To, managerMail) && strings.Contains(m.Subject, "Jan de Vries") {
				told = true
			}
		}
		if !told {
			t.Errorf("the manager was not told: %+v", h.sim.SentMail())
		}
		st := h.state()
		if st.Status != StatusLeft || st.ObjectID != objectID || st.LastEvent != EventExit || st.UPN != adoptUPN {
			t.Errorf("state after the exit: status %s object %s event %s upn %s", st.Status, st.ObjectID, st.LastEvent, st.UPN)
		}
		if !hasTimer(st, "delete the account", at("2026-03-02", 8, 0).UTC().AddDate(0, 0, 30)) {
			t.Errorf("no deletion planned: %+v", st.Timers)
		}
		if h.sim.UserCount() != 3 {
			t.Errorf("users = %d, want 3 (no account created)", h.sim.UserCount())
		}
	})
	h.when(at("2026-04-02", 9, 0), func() {
		if h.user(adoptUPN) != nil {
			t.Error("the account was not deleted after the retention period")
		}
		if _, ok := h.sim.DeletedUser(objectID); !ok {
			t.Error("the account is not in deleted items")
		}
	})
	h.run(adoptID, at("2026-04-03", 0, 0))
}

// A leaver without an account, or with one that is already disabled, needs
// nothing: the entity looks once and writes nothing.
func TestNewEntityOfLeaverWithoutEnabledAccountDoesNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		account bool
	}{
		{"no account", false},
		{"disabled account", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, at("2026-03-02", 8, 0), 0)
			h.setEmployee(leaver())
			if tc.account {
				seedAccount(h, false)
			}
			users := h.sim.UserCount()
			h.sim.ResetStats()
			h.when(at("2026-03-02", 9, 0), func() {
				if st := h.sim.Stats(); st.Writes != 0 || st.ByRoute["GET /users"] != 1 {
					t.Errorf("requests %+v, want one lookup and no write", st)
				}
				if h.sim.UserCount() != users {
					t.Errorf("users = %d, want %d", h.sim.UserCount(), users)
				}
				if tc.account {
					if g := h.sim.UserGroups(adoptUPN); len(g) != 3 {
						t.Errorf("groups of the disabled account = %v, want them untouched", g)
					}
				}
				st := h.state()
				if st.Status != StatusNew || st.ObjectID != "" || st.LastEvent != "" || st.LastError != "" || len(st.Timers) != 0 {
					t.Errorf("state %+v, want a new entity with nothing planned", st)
				}
				h.signal(nil) // news: the entity looks again, once
			})
			h.when(at("2026-03-02", 10, 0), func() {
				if st := h.sim.Stats(); st.Writes != 0 || st.ByRoute["GET /users"] != 2 {
					t.Errorf("requests after a signal %+v, want a second lookup and no write", st)
				}
			})
			h.run(adoptID, at("2026-03-03", 0, 0))
		})
	}
}

// An entity whose history predates the lookup (GetVersion answers the
// default version) keeps the old behaviour: no lookup, nothing written.
func TestLeaverLookupIsVersioned(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	h.setEmployee(leaver())
	seedAccount(h, true)
	h.env.OnGetVersion(changeAdoptLeaver, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.sim.ResetStats()
	h.when(at("2026-03-02", 9, 0), func() {
		if st := h.sim.Stats(); st.Reads != 0 || st.Writes != 0 {
			t.Errorf("requests %+v, want none on the old version", st)
		}
		if st := h.state(); st.Status != StatusNew || st.ObjectID != "" {
			t.Errorf("state %+v", st)
		}
	})
	h.run(adoptID, at("2026-03-03", 0, 0))
}

// A new entity for an active employee whose account already exists adopts
// it through the hire's lookup: no second account, the same object, its
// attributes and access brought in line with HR and the policy.
func TestNewEntityAdoptsAccountOfActiveEmployee(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	jan := person(adoptID, "Jan", "de", "Vries", contract(adoptID+"-1", "2024-01-01", "", "Sales", "M01", "Sales Manager", managerID))
	h.setEmployee(jan)
	objectID := seedAccount(h, true)
	users := h.sim.UserCount()
	h.when(at("2026-03-02", 9, 0), func() {
		st := h.state()
		if st.Status != StatusActive || st.ObjectID != objectID || st.UPN != adoptUPN {
			t.Errorf("state: status %s object %s upn %s, want the existing account active", st.Status, st.ObjectID, st.UPN)
		}
		if h.sim.UserCount() != users {
			t.Errorf("users = %d, want %d (no second account)", h.sim.UserCount(), users)
		}
		u := h.user(adoptUPN)
		if !boolOf(u, "accountEnabled") || str(u, "department") != "Sales" || str(u, "jobTitle") != "Sales Manager" {
			t.Errorf("adopted account %v", u)
		}
		g := h.sim.UserGroups(adoptUPN)
		for _, want := range []string{"All Staff", "Sales", "Sales Leadership", "Unmanaged Club"} {
			if !has(g, want) {
				t.Errorf("groups %v lack %s", g, want)
			}
		}
		if roles := h.sim.UserAppRoleAssignments(adoptUPN); len(roles) != 1 || roles[0].AppRoleValue != "standard" {
			t.Errorf("app roles %+v", roles)
		}
		// The account was already enabled and in use: no Temporary Access Pass is created
		// for it, and none is mailed to the manager.
		if _, ok := h.sim.TemporaryAccessPass(adoptUPN); ok {
			t.Error("a Temporary Access Pass was issued for an account already in use")
		}
		if m := h.sim.SentMail(); len(m) != 0 {
			t.Errorf("mail sent: %+v", m)
		}
	})
	h.run(adoptID, at("2026-03-03", 0, 0))
}
