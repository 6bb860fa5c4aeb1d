package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/policy"
)

// MoveInput is a promotion, transfer or entitlement change, computed by the
// entity against the last applied view.
type MoveInput struct {
	EmployeeID string `json:"employeeId"`
	ObjectID   string `json:"objectId"`
	// Reason is "promotion", "transfer", "policy", "grace-ended", …
	Reason string                 `json:"reason"`
	Spec   activities.AccountSpec `json:"spec"`
	// Fields are the attributes that changed; only these are patched.
	Fields []string `json:"fields,omitempty"`
	// LinkManager asks to (re)link the manager ManagerEmployeeID ("" clears).
	LinkManager       bool                 `json:"linkManager,omitempty"`
	ManagerEmployeeID string               `json:"managerEmployeeId,omitempty"`
	Grant             []policy.Entitlement `json:"grant,omitempty"`
	Revoke            []policy.Entitlement `json:"revoke,omitempty"`
	// Sources tell the audit trail what grants (or granted) each entitlement, keyed by
	// activities.SourceKey.
	Sources map[string]string `json:"sources,omitempty"`
}

// MoveResult reports what a move changed.
type MoveResult struct {
	Changed         []string `json:"changed,omitempty"`
	ManagerLinked   bool     `json:"managerLinked,omitempty"`
	ManagerPending  bool     `json:"managerPending,omitempty"`
	ManagerObjectID string   `json:"managerObjectId,omitempty"`
}

// Move patches only the attributes that changed, moves the manager, grants
// the new entitlements and only then removes the old ones, so the person is
// never without access they are entitled to.
func Move(ctx workflow.Context, in MoveInput) (MoveResult, error) {
	var res MoveResult
	if len(in.Fields) > 0 {
		var upd activities.UpdateAccountResult
		if err := workflow.ExecuteActivity(graphWrites(ctx), a.UpdateAccount, activities.UpdateAccountInput{
			ObjectID: in.ObjectID, Spec: in.Spec, Fields: in.Fields,
		}).Get(ctx, &upd); err != nil {
			return res, fmt.Errorf("update attributes: %w", err)
		}
		res.Changed = upd.Changed
	}
	if in.LinkManager {
		var link activities.LinkManagerResult
		if err := workflow.ExecuteActivity(graphWrites(ctx), a.LinkManager, activities.LinkManagerInput{
			ObjectID: in.ObjectID, ManagerEmployeeID: in.ManagerEmployeeID,
		}).Get(ctx, &link); err != nil {
			return res, fmt.Errorf("link the manager: %w", err)
		}
		res.ManagerLinked, res.ManagerPending, res.ManagerObjectID = link.Found, !link.Found, link.ManagerObjectID
	}
	if err := grantThenRevoke(ctx, in.ObjectID, in.Grant, in.Revoke, in.Sources); err != nil {
		return res, err
	}
	return res, nil
}

// grantThenRevoke grants first and revokes after; sources (activities.SourceKey → source)
// tell the audit trail what grants or granted each entitlement.
func grantThenRevoke(ctx workflow.Context, objectID string, grant, revoke []policy.Entitlement, sources map[string]string) error {
	if len(grant) > 0 {
		if err := workflow.ExecuteActivity(graphWrites(ctx), a.GrantEntitlements, activities.EntitlementsInput{
			ObjectID: objectID, Entitlements: grant, Sources: sources,
		}).Get(ctx, nil); err != nil {
			return fmt.Errorf("grant entitlements: %w", err)
		}
	}
	if len(revoke) > 0 {
		if err := workflow.ExecuteActivity(graphWrites(ctx), a.RevokeEntitlements, activities.EntitlementsInput{
			ObjectID: objectID, Entitlements: revoke, Sources: sources,
		}).Get(ctx, nil); err != nil {
			return fmt.Errorf("revoke entitlements: %w", err)
		}
	}
	return nil
}

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

// ReplaceInput grants or revokes a temporary replacement's entitlements.
type ReplaceInput struct {
	EmployeeID    string               `json:"employeeId"`
	ObjectID      string               `json:"objectId"`
	ReplacementID string               `json:"replacementId"`
	Grant         []policy.Entitlement `json:"grant,omitempty"`
	Revoke        []policy.Entitlement `json:"revoke,omitempty"`
}

// Replace grants the replaced person's role entitlements to the substitute
// at the start and revokes, at the end, those no other source still grants
// (the entity computes both lists from the entitlements it tracks).
func Replace(ctx workflow.Context, in ReplaceInput) error {
	src := replacementSource(in.ReplacementID)
	sources := map[string]string{}
	for _, e := range in.Grant {
		sources[activities.SourceKey(e)] = src
	}
	for _, e := range in.Revoke {
		sources[activities.SourceKey(e)] = src
	}
	return grantThenRevoke(ctx, in.ObjectID, in.Grant, in.Revoke, sources)
}
