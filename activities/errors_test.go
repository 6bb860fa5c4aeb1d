package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/entralifecycle/engine/internal/directory"
)

// Directory failures become Temporal errors in one place: retryable ones
// carry Graph's Retry-After as the next retry delay, permanent ones are
// non-retryable with the stable type name.
func TestGraphErrorConversion(t *testing.T) {
	tests := []struct {
		name          string
		err           error
		wantApp       bool
		wantType      string
		wantNonRetry  bool
		wantNextDelay time.Duration
	}{
		{"throttled", &directory.Error{Kind: directory.KindThrottled, Status: 429, RetryAfter: 7 * time.Second}, true, "GraphThrottled", false, 7 * time.Second},
		{"unavailable", &directory.Error{Kind: directory.KindUnavailable, Status: 503}, true, "GraphUnavailable", false, 0},
		{"forbidden", &directory.Error{Kind: directory.KindPermissionDenied, Status: 403}, true, "GraphPermissionDenied", true, 0},
		{"conflict wrapped", errors.Join(errors.New("ctx"), &directory.Error{Kind: directory.KindConflict, Status: 400}), true, "GraphConflict", true, 0},
		{"other", errors.New("boom"), false, "", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := graphError("op", tc.err)
			var app *temporal.ApplicationError
			if errors.As(got, &app) != tc.wantApp {
				t.Fatalf("application error = %v, want %v (%v)", !tc.wantApp, tc.wantApp, got)
			}
			if !tc.wantApp {
				if !errors.Is(got, tc.err) {
					t.Errorf("%v does not wrap the cause", got)
				}
				return
			}
			if app.Type() != tc.wantType || app.NonRetryable() != tc.wantNonRetry || app.NextRetryDelay() != tc.wantNextDelay {
				t.Errorf("got type %s nonRetryable %v delay %s", app.Type(), app.NonRetryable(), app.NextRetryDelay())
			}
		})
	}
	if graphError("op", nil) != nil {
		t.Error("nil became an error")
	}
	if !errors.Is(graphError("op", context.Canceled), context.Canceled) {
		t.Error("cancellation not kept")
	}
}

// The error type names workflows match on are the directory kinds' stable
// names, which graphError puts on the Temporal errors.
func TestErrTypesAreDirectoryKindNames(t *testing.T) {
	for _, tc := range []struct {
		constant string
		kind     directory.Kind
	}{
		{ErrTypeConflict, directory.KindConflict},
		{ErrTypeNotFound, directory.KindNotFound},
	} {
		var app *temporal.ApplicationError
		err := graphError("op", &directory.Error{Kind: tc.kind})
		if !errors.As(err, &app) || app.Type() != tc.constant || tc.kind.String() != tc.constant {
			t.Errorf("%s: graphError gives %v, kind name %q", tc.constant, err, tc.kind.String())
		}
	}
}
