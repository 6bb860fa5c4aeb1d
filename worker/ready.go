package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/entralifecycle/engine/internal/devstack"
)

// ReadyMessage is the log message the worker writes once, when everything it runs answers:
// the worker polls its task queue and, in dev mode, the Temporal frontend, the search
// attributes, the Graph simulator, the Web UI and the webhook all answer. Scripts and tests
// wait for it instead of sleeping.
const ReadyMessage = "ready"

// readyCheck is one component that must answer before the worker reports ready.
type readyCheck struct {
	what  string
	check func(ctx context.Context) error
}

// httpReady checks that url answers 200.
func httpReady(what, url string) readyCheck {
	return readyCheck{what: what, check: func(ctx context.Context) error {
		return devstack.WaitHTTP(ctx, url, 30*time.Second)
	}}
}

// taskQueueDescriber is the part of the client the polling probe needs.
type taskQueueDescriber interface {
	DescribeTaskQueue(ctx context.Context, taskQueue string, taskQueueType enumspb.TaskQueueType) (*workflowservice.DescribeTaskQueueResponse, error)
}

// pollingReady checks that the frontend lists identity among the pollers of taskQueue for
// workflow and for activity tasks: the worker's long polls have reached the server.
func pollingReady(c taskQueueDescriber, taskQueue, identity string) readyCheck {
	return readyCheck{what: "worker polling " + taskQueue, check: func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		for {
			err := polling(ctx, c, taskQueue, identity)
			if err == nil {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("task queue %s: %w", taskQueue, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}}
}

func polling(ctx context.Context, c taskQueueDescriber, taskQueue, identity string) error {
	for _, typ := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		resp, err := c.DescribeTaskQueue(ctx, taskQueue, typ)
		if err != nil {
			return fmt.Errorf("describe: %w", err)
		}
		if !slices.ContainsFunc(resp.GetPollers(), func(p *taskqueuepb.PollerInfo) bool { return p.GetIdentity() == identity }) {
			return fmt.Errorf("no %s poller %s yet", typ, identity)
		}
	}
	return nil
}

// waitReady runs the checks in order and logs ReadyMessage once all pass, with attrs.
func waitReady(ctx context.Context, checks []readyCheck, logger *slog.Logger, attrs ...any) error {
	for _, c := range checks {
		if err := c.check(ctx); err != nil {
			return fmt.Errorf("%s not ready: %w", c.what, err)
		}
	}
	logger.Info(ReadyMessage, attrs...)
	return nil
}
