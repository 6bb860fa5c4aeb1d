package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/entralifecycle/engine/workflows"
)

// ReconcileScheduleOptions is the reconciliation schedule: every interval, skipping a run
// while the previous one still runs (a paused-for-approval run included),
// and catching up missed runs only within the catch-up window.
func ReconcileScheduleOptions(taskQueue string, every, catchup time.Duration, dryRun, paused bool) client.ScheduleOptions {
	return client.ScheduleOptions{
		ID:   workflows.ReconcileScheduleID,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}},
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.ReconcileWorkflowIDPrefix + "scheduled",
			Workflow:  workflows.ReconcileWorkflowName,
			Args:      []any{workflows.ReconcileInput{DryRun: dryRun}},
			TaskQueue: taskQueue,
		},
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: catchup,
		Paused:        paused,
		Note:          "reconciliation of HR with Entra ID",
	}
}

// EnsureReconcileSchedule creates the reconciliation schedule unless one exists already
// (an existing schedule is left as it is, paused or not). It reports whether it created one.
func EnsureReconcileSchedule(ctx context.Context, c client.Client, taskQueue string, every time.Duration) (bool, error) {
	_, err := c.ScheduleClient().Create(ctx, ReconcileScheduleOptions(taskQueue, every, time.Hour, false, false))
	if err == nil {
		return true, nil
	}
	var exists *serviceerror.AlreadyExists
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) || errors.As(err, &exists) {
		return false, nil
	}
	return false, fmt.Errorf("create schedule %s: %w", workflows.ReconcileScheduleID, err)
}
