package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/entralifecycle/engine/internal/directory"
)

// Error type names of failures that are not directory errors.
const (
	// ErrTypeHRRejected marks an HR record that fails validation.
	ErrTypeHRRejected = "HRRecordRejected"
	// ErrTypeInvalidInput marks an activity input that cannot be acted on.
	ErrTypeInvalidInput = "InvalidInput"
	// ErrTypeNoUsableName marks a person whose name yields no UPN.
	ErrTypeNoUsableName = "NoUsableName"
)

// graphError is the one place directory failures become Temporal errors. A
// retryable failure (throttling, Graph unavailable, network) is an
// application error whose next retry waits as long as Graph asked
// (Retry-After); a permanent one is non-retryable and carries the directory
// error's stable type name (e.g. GraphPermissionDenied), so workflows and
// the UI can tell them apart. Errors that are not directory errors are
// wrapped and stay retryable, except a cancelled context.
func graphError(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var de *directory.Error
	if errors.As(err, &de) {
		msg := fmt.Sprintf("%s: %s", what, de.Error())
		if de.Retryable() {
			return temporal.NewApplicationErrorWithOptions(msg, de.Type(), temporal.ApplicationErrorOptions{
				NextRetryDelay: directory.RetryAfter(err),
			})
		}
		return temporal.NewApplicationErrorWithOptions(msg, de.Type(), temporal.ApplicationErrorOptions{NonRetryable: true})
	}
	return fmt.Errorf("%s: %w", what, err)
}

// permanent is a non-retryable application error of the given type.
func permanent(what, errType string, err error) error {
	return temporal.NewApplicationErrorWithOptions(fmt.Sprintf("%s: %v", what, err), errType, temporal.ApplicationErrorOptions{NonRetryable: true})
}
