package activities

import (
	"context"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/policy"
)

// LookUpHire answers a hire's three questions (its account, its manager, a
// free UPN) with one $batch of three reads, also through the audit
// decorator, and says the same as FindAccount, ChooseNames and the manager
// lookup would.
func TestLookUpHireAnswersInOneRequest(t *testing.T) {
	acts, _, sim, ids := newDoubleEnv(t)
	// A namesake holds jan.vries@ as mail only; jan.vries2@ is free.
	if _, _, err := acts.Directory.CreateUser(context.Background(), directory.User{EmployeeID: "7001", DisplayName: "Other Jan",
		UserPrincipalName: "other.jan@contoso.example", MailNickname: "otherjan", Mail: "jan.vries@contoso.example"}); err != nil {
		t.Fatal(err)
	}
	jan := policy.Person{GivenName: "Jan", FamilyName: "Vries", NameUsage: "own"}
	for _, tc := range []struct {
		name    string
		audited bool
		in      LookUpHireInput
		want    LookUpHireResult
	}{
		{"new hire: the base name is someone's mail, the manager exists", false,
			LookUpHireInput{EmployeeID: "7002", ManagerEmployeeID: "5002", Person: jan, Naming: policy.Default().Naming, Domain: "contoso.example"},
			LookUpHireResult{ManagerFound: true, ManagerObjectID: ids.Users["greta@contoso.example"],
				Names: policy.Names{UPN: "jan.vries2@contoso.example"}}},
		{"the account exists; the manager has none yet", true,
			LookUpHireInput{EmployeeID: "5001", ManagerEmployeeID: "9999", Person: jan, Naming: policy.Default().Naming, Domain: "contoso.example"},
			LookUpHireResult{Account: Account{Found: true, ObjectID: ids.Users["harry@contoso.example"], UPN: "harry@contoso.example", Enabled: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := acts
			if tc.audited {
				a = &Activities{Directory: Audited(acts.Directory, openAuditStore(t)), Logger: acts.Logger}
			}
			sim.ResetStats()
			got, err := a.LookUpHire(context.Background(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			st := sim.Stats()
			if st.ByRoute["POST /$batch"] != 1 || st.Reads != 3 || st.Writes != 0 {
				t.Errorf("requests = %v (%d reads), want one $batch of three reads", st.ByRoute, st.Reads)
			}
			if got.Account.Found != tc.want.Account.Found || got.Account.ObjectID != tc.want.Account.ObjectID || got.Account.UPN != tc.want.Account.UPN {
				t.Errorf("account = %+v, want %+v", got.Account, tc.want.Account)
			}
			if got.ManagerFound != tc.want.ManagerFound || got.ManagerObjectID != tc.want.ManagerObjectID {
				t.Errorf("manager = %v %q, want %v %q", got.ManagerFound, got.ManagerObjectID, tc.want.ManagerFound, tc.want.ManagerObjectID)
			}
			if got.Names.UPN != tc.want.Names.UPN {
				t.Errorf("UPN = %q, want %q", got.Names.UPN, tc.want.Names.UPN)
			}
		})
	}
}

// Past the candidates the lookup checked at once, the names are asked one by
// one; the result is the lowest free one.
func TestLookUpHireChoosesPastTheLookAhead(t *testing.T) {
	acts, _, _, _ := newDoubleEnv(t)
	for i, upn := range []string{"piet.bos@contoso.example", "piet.bos2@contoso.example", "piet.bos3@contoso.example"} {
		if _, _, err := acts.Directory.CreateUser(context.Background(), directory.User{EmployeeID: "80" + itoa(i), DisplayName: "Piet Bos",
			UserPrincipalName: upn, MailNickname: "pietbos" + itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := acts.LookUpHire(context.Background(), LookUpHireInput{EmployeeID: "8100",
		Person: policy.Person{GivenName: "Piet", FamilyName: "Bos", NameUsage: "own"}, Naming: policy.Default().Naming, Domain: "contoso.example"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Account.Found || got.Names.UPN != "piet.bos4@contoso.example" {
		t.Errorf("result = %+v, want piet.bos4@", got)
	}
}

// CreateAccount told the employee id is known absent skips its own lookup on
// the first attempt only.
func TestCreateAccountKnownAbsentSkipsTheLookup(t *testing.T) {
	acts, _, sim, _ := newDoubleEnv(t)
	sim.ResetStats()
	acc, err := acts.CreateAccount(context.Background(), AccountSpec{EmployeeID: "9100", DisplayName: "Kim Lee",
		UPN: "kim.lee@contoso.example", MailNickname: "kim.lee", KnownAbsent: true})
	if err != nil || !acc.Created {
		t.Fatalf("create: %+v, %v", acc, err)
	}
	// Outside an activity (no attempt number) the lookup is kept: only a first
	// attempt may trust the caller's lookup.
	if st := sim.Stats(); st.Reads != 1 {
		t.Errorf("reads = %d, want 1 (outside an activity the create looks first)", st.Reads)
	}

	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	sim.ResetStats()
	v, err := env.ExecuteActivity(acts.CreateAccount, AccountSpec{EmployeeID: "9101", DisplayName: "Kai Lee",
		UPN: "kai.lee@contoso.example", MailNickname: "kai.lee", KnownAbsent: true, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Get(&acc); err != nil || !acc.Created || !acc.Enabled {
		t.Fatalf("create in an activity: %+v, %v", acc, err)
	}
	if st := sim.Stats(); st.Reads != 0 || st.Writes != 1 {
		t.Errorf("first attempt: %d reads, %d writes; want 0 and 1 (%v)", st.Reads, st.Writes, st.ByRoute)
	}
	if u, ok := sim.User("kai.lee@contoso.example"); !ok || u["accountEnabled"] != true {
		t.Errorf("created account = %v, want enabled", u)
	}
}

func itoa(i int) string { return string(rune('0' + i)) }
