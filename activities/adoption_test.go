package activities

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
)

// An adopted account's access is in the trail from the adoption on: "who holds" names it,
// with the rule that gives it, and the directory is only read. Without
// an audit trail nothing is recorded and nothing fails.
func TestRecordAdoptionMakesHeldAccessVisible(t *testing.T) {
	ctx := context.Background()
	fake := newAuditFakeDir()
	store := openAuditStore(t)
	acts := &Activities{Directory: Audited(fake, store)}
	in := RecordAdoptionInput{
		EmployeeID: "1001", ObjectID: "obj-1", Reason: "adopt",
		Held:    []policy.Entitlement{policy.Group("All Staff"), policy.License("SPE_E3"), policy.AppRoleOf("Salesforce", "Standard User")},
		Sources: map[string]string{SourceKey(policy.Group("All Staff")): "role:everyone"},
	}
	out, err := acts.RecordAdoption(ctx, in)
	if err != nil || !out.Recorded {
		t.Fatalf("RecordAdoption = %+v, %v; want recorded", out, err)
	}
	recs, err := store.Query(ctx, audit.Filter{EmployeeID: "1001"})
	if err != nil {
		t.Fatal(err)
	}
	got := actionsOf(recs)
	want := []string{"account.adopted", "group.held:All Staff", "license.held:SPE_E3", "approle.held:Salesforce/Standard User"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("records %v, want %v", got, want)
	}
	for call, n := range fake.calls {
		if n > 0 && call != "ResolveGroups" && call != "ResolveSKUs" && call != "ResolveAppRoles" {
			t.Errorf("the directory was called for %s; recording an adoption writes nothing there", call)
		}
	}
	for _, q := range []struct{ kind, name string }{{audit.KindGroup, "all staff"}, {audit.KindLicense, "SPE_E3"}, {audit.KindAppRole, "Salesforce/Standard User"}} {
		hs, err := store.Holders(ctx, q.kind, q.name, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != 1 || hs[0].EmployeeID != "1001" || hs[0].ObjectID != "obj-1" {
			t.Errorf("holders of %s %q: %+v, want the adopted account", q.kind, q.name, hs)
		}
		if q.kind == audit.KindGroup && (len(hs) != 1 || hs[0].Reason != "adopt; role:everyone") {
			t.Errorf("holding reason %+v, want the adoption and its rule", hs)
		}
	}

	bare := &Activities{Directory: newAuditFakeDir()}
	if out, err := bare.RecordAdoption(ctx, in); err != nil || out.Recorded {
		t.Errorf("without a trail: %+v, %v; want nothing recorded, no error", out, err)
	}
}

// LookUpHire tells, for an account found, whether the hire must write its addresses back:
// never for a source without write-back, not when HR holds them already, else yes.
func TestLookUpHireSaysWhetherAWriteBackIsNeeded(t *testing.T) {
	const addr = "ann@example.test" // the fake account's UPN and mail
	for _, tc := range []struct {
		name string
		src  hr.Source
		held *hr.WorkContact
		want bool
	}{
		{"read-only source", readOnlySource{}, &hr.WorkContact{}, false},
		{"HR holds nothing", &scriptedWriter{}, &hr.WorkContact{}, true},
		{"HR holds both", &scriptedWriter{}, &hr.WorkContact{Email: "Ann@example.test", UPN: addr}, false},
		{"HR holds another mail", &scriptedWriter{}, &hr.WorkContact{Email: "a.smith@example.test", UPN: addr}, true},
		{"not asked", &scriptedWriter{}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acts := &Activities{Directory: holdingFake{newAuditFakeDir(), directory.Holdings{}}, HR: tc.src}
			out, err := acts.LookUpHire(context.Background(), LookUpHireInput{
				EmployeeID: "1001", Person: policy.Person{GivenName: "Ann", FamilyName: "Smith", NameUsage: "own"},
				Naming: policy.Default().Naming, Domain: "example.test", HRHolds: tc.held,
			})
			if err != nil {
				t.Fatal(err)
			}
			if !out.Account.Found || out.WriteBackNeeded != tc.want {
				t.Errorf("found %v, write-back needed %v, want %v", out.Account.Found, out.WriteBackNeeded, tc.want)
			}
		})
	}
}
