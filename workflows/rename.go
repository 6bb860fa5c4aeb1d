package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/policy"
)

// RenameInput is a personal data change.
type RenameInput struct {
	EmployeeID string        `json:"employeeId"`
	ObjectID   string        `json:"objectId"`
	Person     policy.Person `json:"person"`
	Naming     policy.Naming `json:"naming"`
	Domain     string        `json:"domain"`
	// CurrentUPN is the account's UPN now.
	CurrentUPN string `json:"currentUpn"`
	// NewAddress is true when the naming template yields a new UPN.
	NewAddress bool `json:"newAddress"`
}

// RenameResult reports the names now on the account.
type RenameResult struct {
	Names   policy.Names `json:"names"`
	Changed []string     `json:"changed,omitempty"`
	// WriteBack reports the write-back of a new work address to HR.
	WriteBack *activities.WriteBackResult `json:"writeBack,omitempty"`
}

// Rename updates the given name, surname and display name and, when the
// naming template yields a new UPN, moves UPN, mail nickname and primary
// mail to a free one (with a number on collision). Setting the new primary
// mail address keeps the old one as an alias (smtp: proxy address) where the
// tenant's mail system allows.
func Rename(ctx workflow.Context, in RenameInput) (RenameResult, error) {
	names, err := in.Naming.Names(in.Person, in.Domain)
	if err != nil {
		return RenameResult{}, fmt.Errorf("derive names: %w", err)
	}
	fields := append([]string{}, activities.NameFields...)
	names.UPN = in.CurrentUPN
	if in.NewAddress {
		if err := workflow.ExecuteActivity(graphReads(ctx), a.ChooseNames, activities.ChooseNamesInput{
			Person: in.Person, Naming: in.Naming, Domain: in.Domain, ObjectID: in.ObjectID, OwnUPN: in.CurrentUPN,
		}).Get(ctx, &names); err != nil {
			return RenameResult{}, fmt.Errorf("choose a user principal name: %w", err)
		}
		fields = append(fields, activities.AddressFields...)
	}
	spec := activities.AccountSpec{
		EmployeeID: in.EmployeeID, GivenName: names.GivenName, Surname: names.Surname, DisplayName: names.DisplayName,
		UPN: names.UPN, MailNickname: names.MailNickname, Mail: names.UPN,
	}
	var upd activities.UpdateAccountResult
	if err := workflow.ExecuteActivity(graphWrites(ctx), a.UpdateAccount, activities.UpdateAccountInput{
		ObjectID: in.ObjectID, Spec: spec, Fields: fields,
	}).Get(ctx, &upd); err != nil {
		return RenameResult{}, fmt.Errorf("update names: %w", err)
	}
	res := RenameResult{Names: names, Changed: upd.Changed}
	if in.NewAddress && !strings.EqualFold(names.UPN, in.CurrentUPN) &&
		workflow.GetVersion(ctx, versionHRWriteBack, workflow.DefaultVersion, 1) == 1 {
		res.WriteBack = writeBack(ctx, in.EmployeeID, names.UPN, names.UPN)
	}
	return res, nil
}
