package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/policy"
)

// ExitInput ends an employee's access.
type ExitInput struct {
	EmployeeID      string    `json:"employeeId"`
	ObjectID        string    `json:"objectId"`
	DisplayName     string    `json:"displayName"`
	LeaveAt         time.Time `json:"leaveAt"`
	ManagerObjectID string    `json:"managerObjectId,omitempty"`
	// Managed is everything the policy manages; only these are removed.
	Managed []policy.Entitlement `json:"managed"`
	// DeleteAt is when the account will be deleted (zero: never), for the notice.
	DeleteAt time.Time `json:"deleteAt,omitzero"`
}

// ExitResult reports what the exit did.
type ExitResult struct {
	Revoked  []policy.Entitlement    `json:"revoked,omitempty"`
	Notified activities.NotifyResult `json:"notified"`
}

// Exit disables the account, revokes its sign-in sessions, removes the
// managed groups, licences and app roles it holds (nothing else), records
// employeeLeaveDateTime and notifies the manager.
func Exit(ctx workflow.Context, in ExitInput) (ExitResult, error) {
	var res ExitResult
	if err := workflow.ExecuteActivity(graphWrites(ctx), a.SetAccountEnabled, activities.SetEnabledInput{
		ObjectID: in.ObjectID, Enabled: false, Since: in.LeaveAt,
	}).Get(ctx, nil); err != nil {
		return res, fmt.Errorf("disable the account: %w", err)
	}
	if err := workflow.ExecuteActivity(graphWrites(ctx), a.RevokeSessions, in.ObjectID).Get(ctx, nil); err != nil {
		return res, fmt.Errorf("revoke sign-in sessions: %w", err)
	}
	var have []policy.Entitlement
	if err := workflow.ExecuteActivity(graphReads(ctx), a.ReadEntitlements, activities.ReadEntitlementsInput{ObjectID: in.ObjectID, AppRoles: in.Managed}).Get(ctx, &have); err != nil {
		return res, fmt.Errorf("read entitlements: %w", err)
	}
	res.Revoked = managedOnly(have, in.Managed)
	if len(res.Revoked) > 0 {
		if err := workflow.ExecuteActivity(graphWrites(ctx), a.RevokeEntitlements, activities.EntitlementsInput{
			ObjectID: in.ObjectID, Entitlements: res.Revoked,
		}).Get(ctx, nil); err != nil {
			return res, fmt.Errorf("revoke entitlements: %w", err)
		}
	}
	if err := workflow.ExecuteActivity(graphWrites(ctx), a.UpdateAccount, activities.UpdateAccountInput{
		ObjectID: in.ObjectID, Spec: activities.AccountSpec{LeaveDateTime: in.LeaveAt}, Fields: []string{activities.FieldLeaveDateTime},
	}).Get(ctx, nil); err != nil {
		return res, fmt.Errorf("set employeeLeaveDateTime: %w", err)
	}
	body := fmt.Sprintf("%s (employee %s) left on %s. Their account has been disabled and their access removed.",
		in.DisplayName, in.EmployeeID, in.LeaveAt.Format("2006-01-02 15:04 MST"))
	if !in.DeleteAt.IsZero() {
		body += fmt.Sprintf(" The account will be deleted on %s; tell HR before then if this is a mistake.", in.DeleteAt.Format("2006-01-02"))
	}
	if err := workflow.ExecuteActivity(graphWrites(ctx), a.NotifyManager, activities.NotifyInput{
		ManagerObjectID: in.ManagerObjectID, Subject: "Account of " + in.DisplayName + " disabled", Body: body,
	}).Get(ctx, &res.Notified); err != nil {
		res.Notified = activities.NotifyResult{Reason: reason("notify the manager", err)}
	}
	return res, nil
}

// managedOnly keeps the entitlements of have that managed lists (ignoring case).
func managedOnly(have, managed []policy.Entitlement) []policy.Entitlement {
	keys := make(map[string]bool, len(managed))
	for _, m := range managed {
		keys[m.Key()] = true
	}
	var out []policy.Entitlement
	for _, h := range have {
		if keys[h.Key()] {
			out = append(out, h)
		}
	}
	return out
}
