package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
)

// a is the nil activities pointer workflows use to name activity methods.
var a *activities.Activities

// PingRequest is the health-check workflow's input.
type PingRequest struct {
	// Message is echoed back by the activity.
	Message string `json:"message"`
	// Wait, when positive, is a durable timer before the activity runs: it shows that
	// timers survive worker and server restarts.
	Wait time.Duration `json:"wait,omitempty"`
}

// PingResult is the health-check workflow's answer.
type PingResult struct {
	// Activity is what the worker's activity reported.
	Activity activities.PingResult `json:"activity"`
	// WorkflowID is the id of the ping workflow run.
	WorkflowID string `json:"workflowId"`
}

// Ping proves the whole client → server → worker path: after an optional durable timer it
// runs one activity and returns its answer.
func Ping(ctx workflow.Context, req PingRequest) (PingResult, error) {
	if req.Wait > 0 {
		if err := workflow.Sleep(ctx, req.Wait); err != nil {
			return PingResult{}, err
		}
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
	})
	var res activities.PingResult
	if err := workflow.ExecuteActivity(ctx, a.Ping, activities.PingInput{Message: req.Message}).Get(ctx, &res); err != nil {
		return PingResult{}, err
	}
	return PingResult{Activity: res, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID}, nil
}
