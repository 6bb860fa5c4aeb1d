package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// DeleteInput names the account to delete.
type DeleteInput struct {
	EmployeeID string `json:"employeeId"`
	ObjectID   string `json:"objectId"`
}

// Delete soft-deletes a leaver's account after the retention period; Entra
// keeps it restorable for 30 days.
func Delete(ctx workflow.Context, in DeleteInput) error {
	if err := workflow.ExecuteActivity(graphWrites(ctx), a.DeleteAccount, in.ObjectID).Get(ctx, nil); err != nil {
		return fmt.Errorf("delete the account: %w", err)
	}
	return nil
}
