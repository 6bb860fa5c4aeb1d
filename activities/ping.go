package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// PingInput is the argument of the Ping activity.
type PingInput struct {
	Message string `json:"message"`
}

// PingResult is what the Ping activity answers: proof that a worker picked up the task.
type PingResult struct {
	Message   string    `json:"message"`
	Worker    string    `json:"worker"`
	TaskQueue string    `json:"taskQueue"`
	Attempt   int32     `json:"attempt"`
	At        time.Time `json:"at"`
}

// Ping echoes the message with the identity of the worker that ran it.
func (a *Activities) Ping(ctx context.Context, in PingInput) (PingResult, error) {
	info := activity.GetInfo(ctx)
	return PingResult{
		Message:   in.Message,
		Worker:    a.Identity,
		TaskQueue: info.TaskQueue,
		Attempt:   info.Attempt,
		At:        a.now().UTC(),
	}, nil
}
