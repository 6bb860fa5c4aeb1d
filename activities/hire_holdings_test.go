package activities

import (
	"context"
	"slices"
	"testing"

	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/orgattr"
	"github.com/entralifecycle/engine/internal/policy"
)

// holdingFake adds the batched hire lookup and the read of holdings to the
// in-memory directory, holding fixed groups, licences, app roles and manager.
type holdingFake struct {
	*auditFakeDir
	held directory.Holdings
}

func (f holdingFake) LookUpHire(ctx context.Context, q directory.HireLookup) (directory.HireLookupResult, error) {
	u, ok, err := f.FindUserByEmployeeID(ctx, q.EmployeeID)
	return directory.HireLookupResult{Account: u, Found: ok}, err
}

func (f holdingFake) Holdings(context.Context, string) (directory.Holdings, error) {
	return f.held, nil
}

// LookUpHire of an account found by employee id reports what it lacks of the
// entitlements (groups and app roles by resolved id, licences by part number
// in any case), its manager and whether the attributes are in line; under the
// audit decorator the reads record nothing, and the grant of what is missing
// records exactly that.
func TestLookUpHireReportsWhatTheAccountLacks(t *testing.T) {
	fake := newAuditFakeDir()
	held := directory.Holdings{ManagerID: "boss-1", Entitlements: directory.Entitlements{
		Groups:   []directory.Group{{ID: "G-1", DisplayName: "all staff"}},
		Licenses: []string{"spe_e3"},
		AppRoles: []directory.AppRoleAssignment{{ResourceID: "sp-Salesforce", AppRoleID: "role-Standard User"}},
	}}
	store := openAuditStore(t)
	acts := &Activities{Directory: Audited(holdingFake{fake, held}, store)}
	want := []policy.Entitlement{policy.Group("All Staff"), policy.Group("Sales"), policy.License("SPE_E3"),
		policy.AppRoleOf("Salesforce", "Standard User"), policy.AppRoleOf("Salesforce", "Admin")}
	cases := []struct {
		name     string
		spec     AccountSpec
		inLine   bool
		holdings bool
	}{
		{name: "attributes in line", spec: AccountSpec{EmployeeID: "1001", UPN: "x@example.test", Attributes: orgattr.Attributes{JobTitle: "Junior"}}, inLine: true, holdings: true},
		{name: "a job title differs", spec: AccountSpec{EmployeeID: "1001", Attributes: orgattr.Attributes{JobTitle: "Senior"}}, inLine: false, holdings: true},
		{name: "not asked", spec: AccountSpec{EmployeeID: "1001"}, holdings: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := acts.LookUpHire(context.Background(), LookUpHireInput{
				EmployeeID: "1001", Person: policy.Person{GivenName: "Ann", FamilyName: "Smith", NameUsage: "own"}, Naming: policy.Default().Naming, Domain: "example.test",
				Holdings: tc.holdings, Entitlements: want, Spec: tc.spec, Fields: []string{orgattr.JobTitle},
			})
			if err != nil {
				t.Fatal(err)
			}
			if !out.Account.Found || out.Account.ObjectID != "obj-1" {
				t.Fatalf("account %+v", out.Account)
			}
			if !tc.holdings {
				if out.Holdings != nil {
					t.Errorf("holdings %+v read without being asked for", out.Holdings)
				}
				return
			}
			h := out.Holdings
			if h == nil {
				t.Fatal("no holdings")
			}
			wantMissing := []policy.Entitlement{policy.Group("Sales"), policy.AppRoleOf("Salesforce", "Admin")}
			if !slices.Equal(h.Missing, wantMissing) || h.ManagerObjectID != "boss-1" || h.AttributesInLine != tc.inLine {
				t.Errorf("holdings %+v, want missing %v, manager boss-1, in line %v", h, wantMissing, tc.inLine)
			}
		})
	}
	recs, err := store.Query(context.Background(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 {
		t.Errorf("the lookups recorded %d changes: %+v", len(recs), recs)
	}
	ctx := audit.WithNote(context.Background(), audit.Note{EmployeeID: "1001", Reason: "hire"})
	if err := acts.GrantEntitlements(ctx, EntitlementsInput{ObjectID: "obj-1", Entitlements: []policy.Entitlement{policy.Group("Sales")}}); err != nil {
		t.Fatal(err)
	}
	if recs, _ = store.Query(context.Background(), audit.Filter{}); len(recs) != 1 || recs[0].Target.Name != "Sales" {
		t.Errorf("the grant of the missing group recorded %+v, want Sales only", recs)
	}
}
