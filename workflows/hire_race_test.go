package workflows

import (
	"context"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/policy"
)

// Two namesakes hired at the same moment can both find the same UPN free; the one whose
// create loses the race gets GraphConflict and chooses again instead of failing the hire.
func TestHireChoosesAgainAfterLosingAUPNRace(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	// The lookup finds no account and the base name free; the create says otherwise.
	env.OnActivity(a.LookUpHire, mock.Anything, mock.Anything).Return(activities.LookUpHireResult{
		Names: policy.Names{UPN: "jan.devries@contoso.example", MailNickname: "jan.devries"}}, nil).Once()
	env.OnActivity(a.ChooseNames, mock.Anything, mock.Anything).Return(policy.Names{UPN: "jan.devries2@contoso.example", MailNickname: "jan.devries2"}, nil).Once()
	var created []string
	env.OnActivity(a.CreateAccount, mock.Anything, mock.Anything).Return(func(_ context.Context, spec activities.AccountSpec) (activities.Account, error) {
		created = append(created, spec.UPN)
		if spec.UPN == "jan.devries@contoso.example" {
			return activities.Account{}, temporal.NewNonRetryableApplicationError("userPrincipalName taken by employee 1020", "GraphConflict", nil)
		}
		return activities.Account{Found: true, Created: true, ObjectID: "obj-1030", UPN: spec.UPN}, nil
	})
	env.OnActivity(a.UpdateAccount, mock.Anything, mock.Anything).Return(activities.UpdateAccountResult{}, nil)
	env.OnActivity(a.SetAccountEnabled, mock.Anything, mock.Anything).Return(nil)

	env.ExecuteWorkflow(Hire, HireInput{
		EmployeeID: "1030",
		Person:     policy.Person{GivenName: "Jan", Prefix: "de", FamilyName: "Vries", NameUsage: "own"},
		Naming:     policy.Default().Naming,
		Domain:     "contoso.example",
	})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res HireResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Failed || res.Account.UPN != "jan.devries2@contoso.example" {
		t.Fatalf("result %+v", res)
	}
	if len(created) != 2 || created[0] != "jan.devries@contoso.example" || created[1] != "jan.devries2@contoso.example" {
		t.Fatalf("create attempts %v", created)
	}
}

// A conflict that keeps happening still ends the hire, with the reason, after a bounded
// number of attempts.
func TestHireGivesUpAfterRepeatedConflicts(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	env.OnActivity(a.LookUpHire, mock.Anything, mock.Anything).Return(activities.LookUpHireResult{
		Names: policy.Names{UPN: "jan.devries@contoso.example"}}, nil)
	env.OnActivity(a.ChooseNames, mock.Anything, mock.Anything).Return(policy.Names{UPN: "jan.devries@contoso.example"}, nil)
	calls := 0
	env.OnActivity(a.CreateAccount, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.AccountSpec) (activities.Account, error) {
		calls++
		return activities.Account{}, temporal.NewNonRetryableApplicationError("userPrincipalName taken", "GraphConflict", nil)
	})
	env.ExecuteWorkflow(Hire, HireInput{
		EmployeeID: "1030",
		Person:     policy.Person{GivenName: "Jan", Prefix: "de", FamilyName: "Vries", NameUsage: "own"},
		Naming:     policy.Default().Naming,
		Domain:     "contoso.example",
	})
	var res HireResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if !res.Failed || calls != maxNameAttempts {
		t.Fatalf("failed=%v after %d creates (want %d): %s", res.Failed, calls, maxNameAttempts, res.Reason)
	}
}
