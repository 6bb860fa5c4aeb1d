package workflows

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/stretchr/testify/mock"

	"github.com/entralifecycle/engine/internal/graphsim"
)

// A hire that finds an account already in line (created by an earlier hire
// with everything the policy gives) writes nothing: the lookup reads what
// the account holds and every step finds nothing missing. The result still
// says what the account holds, so the entity's state is right.
func TestHireAdoptingAccountInLineWritesNothing(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 9, 0), 0)
	in := hireInputFor(t, h, "1001", "Jan", "Vries", "Sales", true)
	first := runHire(t, h, in)
	c := runHire(t, h, in)
	t.Logf("adopting an account in line: %d reads, %d writes: %v", c.Reads, c.Writes, routes(c.ByRoute))
	if c.Writes != 0 {
		t.Errorf("%d writes to an account in line, want 0: %v", c.Writes, routes(c.ByRoute))
	}
	// The lookup's $batch (three reads) and the read of what it holds (four reads).
	if c.Reads > 7 {
		t.Errorf("%d reads, want at most 7", c.Reads)
	}
	r := c.Result
	if !r.AddressAdopted || r.Account.ObjectID != first.Result.Account.ObjectID || r.Names.UPN != "jan.vries@contoso.example" ||
		r.Names.MailNickname != first.Result.Names.MailNickname {
		t.Errorf("result %+v, want the account adopted with its names", r)
	}
	if r.ManagerObjectID != h.ids.Users[managerUPN] || r.ManagerPending {
		t.Errorf("manager %q pending %v, want %s", r.ManagerObjectID, r.ManagerPending, h.ids.Users[managerUPN])
	}
	if !slices.Equal(r.Granted, in.Entitlements) || !r.Enabled || r.Pass != nil {
		t.Errorf("granted %v enabled %v pass %v; want every entitlement, enabled, no pass", r.Granted, r.Enabled, r.Pass)
	}
}

// A found account that lacks some of what the policy gives gets exactly
// that: one group it misses and its manager, nothing for the group and the
// licence it holds, and its own UPN, mail nickname and mail are kept.
func TestHireAdoptingAccountWritesOnlyWhatIsMissing(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 9, 0), 0)
	const upn = "j.vries@contoso.example" // not what the naming template gives
	if err := h.sim.Seed(graphsim.Seed{
		Users: []map[string]any{{
			"displayName": "Jan Vries", "userPrincipalName": upn, "mail": upn, "mailNickname": "j.vries", "employeeId": "1001",
			"givenName": "Jan", "surname": "Vries", "accountEnabled": true, "usageLocation": "NL",
		}},
		Memberships: []graphsim.SeedMembership{{Group: "All Staff", Member: upn}},
		Licenses:    []graphsim.SeedLicense{{User: upn, SKU: "SPE_E3"}},
	}); err != nil {
		t.Fatal(err)
	}
	in := hireInputFor(t, h, "1001", "Jan", "Vries", "ICT", true)
	c := runHire(t, h, in)
	t.Logf("adopting an account lacking a group and its manager: %d reads, %d writes: %v", c.Reads, c.Writes, routes(c.ByRoute))
	for route, want := range map[string]int{
		"POST /groups/{id}/members/$ref":      1, // ICT Admins; All Staff is held
		"PUT /users/{id}/manager/$ref":        1,
		"POST /users/{id}/assignLicense":      0,
		"POST /users/{id}/appRoleAssignments": 0,
	} {
		if got := c.ByRoute[route]; got != want {
			t.Errorf("%s ×%d, want %d (%v)", route, got, want, routes(c.ByRoute))
		}
	}
	u := h.user(upn)
	if u == nil || str(u, "mail") != upn || str(u, "mailNickname") != "j.vries" {
		t.Fatalf("account %v, want its UPN, mail and mail nickname kept", u)
	}
	if g := h.sim.UserGroups(upn); !has(g, "All Staff") || !has(g, "ICT Admins") {
		t.Errorf("groups %v", g)
	}
	if m, _ := h.sim.Manager(upn); m != h.ids.Users[managerUPN] {
		t.Errorf("manager %q", m)
	}
	if r := c.Result; !r.AddressAdopted || r.Names.UPN != upn || r.Names.MailNickname != "j.vries" {
		t.Errorf("names %+v adopted %v, want the account's own", r.Names, r.AddressAdopted)
	}
}

// An entity that adopts an account whose UPN the naming template would not
// give keeps it on every later news; only a change of the person's names
// moves the account to the template's address.
func TestAdoptedAddressKeptUntilNamesChange(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	const upn = "jdv@contoso.example"
	jan := person(adoptID, "Jan", "de", "Vries", contract(adoptID+"-1", "2024-01-01", "", "ICT", "F045", "Systeembeheerder", managerID))
	h.setEmployee(jan)
	if err := h.sim.Seed(graphsim.Seed{Users: []map[string]any{{
		"displayName": "Jan de Vries", "userPrincipalName": upn, "mail": upn, "mailNickname": "jdv", "employeeId": adoptID,
		"givenName": "Jan", "surname": "de Vries", "accountEnabled": true,
	}}}); err != nil {
		t.Fatal(err)
	}
	check := func(wantUPN string, adopted bool) {
		t.Helper()
		st := h.state()
		if st.UPN != wantUPN || st.AddressAdopted != adopted || st.Names == nil || st.Names.UPN != wantUPN {
			t.Errorf("state upn %q adopted %v names %+v; want %q adopted %v (status %s, error %q)", st.UPN, st.AddressAdopted, st.Names, wantUPN, adopted, st.Status, st.LastError)
		}
		if u := h.user(wantUPN); u == nil {
			t.Errorf("no account %s", wantUPN)
		}
	}
	var verifies atomic.Int32
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "VerifyAccount" {
			verifies.Add(1)
		}
	})
	h.when(at("2026-03-02", 9, 0), func() {
		check(upn, true)
		// The hire's lookup was the pass's check of the account: no second read of it.
		if n := verifies.Load(); n != 0 {
			t.Errorf("VerifyAccount ran %d times after the hire, want 0", n)
		}
		if h.state().VerifiedAt == nil {
			t.Error("verifiedAt not set by the hire")
		}
		h.signal(nil) // news without a change of names
	})
	h.when(at("2026-03-02", 10, 0), func() {
		check(upn, true)
		if u := h.user(upn); str(u, "mailNickname") != "jdv" || str(u, "mail") != upn {
			t.Errorf("account %v, want its addresses kept", u)
		}
		married := jan
		married.FamilyName, married.Prefix = "Boer", "de"
		h.setEmployee(married)
		h.signal(nil)
	})
	h.when(at("2026-03-02", 11, 0), func() {
		check("jan.deboer@contoso.example", false)
	})
	// Started as the first start does: with the dev start's signal pending.
	h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	h.when(at("2026-03-03", 0, 0), func() { h.env.CancelWorkflow() })
	h.env.ExecuteWorkflow(EmployeeWorkflowName, EmployeeInput{EmployeeID: adoptID,
		Pending: []HRChanged{{Reason: "dev-start", Source: "snapshot"}}})
	if !h.env.IsWorkflowCompleted() {
		t.Fatal("entity did not stop")
	}
}
