package directory

import (
	"context"
	"fmt"
	"strings"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// maxBatch is the most requests one JSON batch may hold
// (https://learn.microsoft.com/graph/json-batching#batch-size-limitations).
const maxBatch = 20

// batchStep is one request of a $batch: the SDK-built request, the operation
// it performs (for error messages) and which failures mean "already done".
type batchStep struct {
	info *abstractions.RequestInformation
	op   op
	// done reports a failure that is success for this step (idempotency).
	done func(*Error) bool
}

// runBatch sends steps through $batch, 20 per envelope, and returns one
// error (nil on success) per step. An envelope that fails as a whole gives
// its error to each of its steps. The request bodies are serialized by the
// SDK's request builders; nothing here writes Graph JSON by hand.
func (c *Client) runBatch(ctx context.Context, steps []batchStep) []error {
	errs := make([]error, len(steps))
	for start := 0; start < len(steps); start += maxBatch {
		end := min(start+maxBatch, len(steps))
		c.runEnvelope(ctx, steps[start:end], errs[start:end])
	}
	return errs
}

func (c *Client) runEnvelope(ctx context.Context, steps []batchStep, errs []error) {
	batch := msgraphcore.NewBatchRequest(c.adapter)
	ids := make([]string, len(steps))
	for i, s := range steps {
		item, err := batch.AddBatchRequestStep(*s.info)
		if err != nil {
			errs[i] = newError(s.op, KindUnexpected, "build batch step", err)
			continue
		}
		ids[i] = str(item.GetId())
	}
	resp, err := batch.Send(ctx, c.adapter)
	if err != nil {
		for i, s := range steps {
			if errs[i] == nil {
				errs[i] = classify(op{s.op.name + " (in $batch)", s.op.perm}, err)
			}
		}
		return
	}
	for i, s := range steps {
		if errs[i] != nil {
			continue
		}
		item := resp.GetResponseById(ids[i])
		if item == nil || item.GetStatus() == nil {
			errs[i] = newError(s.op, KindUnexpected, "the batch response has no answer for this request", nil)
			continue
		}
		status := int(*item.GetStatus())
		if status < 400 {
			continue
		}
		code, msg := batchErrorBody(item.GetBody())
		e := fromStatus(s.op, status, code, msg, mapHeader(item.GetHeaders(), "Retry-After"), nil)
		if s.done != nil && s.done(e) {
			continue
		}
		errs[i] = e
	}
}

// batchErrorBody reads {"error":{"code","message"}} from a batch response
// item's parsed body (values are strings or *strings).
func batchErrorBody(body map[string]any) (code, msg string) {
	e, ok := body["error"].(map[string]any)
	if !ok {
		return "", ""
	}
	return anyString(e["code"]), anyString(e["message"])
}

func anyString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case *string:
		return str(s)
	case nil:
		return ""
	default:
		return fmt.Sprint(s)
	}
}

func mapHeader(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// firstError picks the error to report from per-step errors: the first
// permanent one if any (retrying will not help), otherwise the retryable one
// with the longest Retry-After. It returns nil when all are nil.
func firstError(errs []error) error {
	var retry error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if !IsRetryable(err) {
			return err
		}
		if retry == nil || RetryAfter(err) > RetryAfter(retry) {
			retry = err
		}
	}
	return retry
}
