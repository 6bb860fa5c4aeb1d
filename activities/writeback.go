package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/entralifecycle/engine/internal/hr"
)

// ErrTypeHRWriteBack marks a write-back the HR source refused for good (it
// does not know the employee).
const ErrTypeHRWriteBack = "HRWriteBackRefused"

// WriteBackInput is the work contact to write back to HR for one employee.
type WriteBackInput struct {
	EmployeeID string `json:"employeeId"`
	// Email is the work e-mail address (the account's primary mail).
	Email string `json:"email,omitempty"`
	// UPN is the account's user principal name.
	UPN string `json:"upn,omitempty"`
}

// WriteBackResult says what the write-back did. A source that does not
// accept write-back is an answer (Supported false, Note says why), not an
// error.
type WriteBackResult struct {
	Supported bool `json:"supported"`
	// Note explains an unsupported source or a skipped write-back.
	Note string `json:"note,omitempty"`
}

// WriteBack writes the work e-mail / UPN back to the HR source when it
// implements hr.WriteBacker. The source compares with what it holds and
// sends only changed fields, so the activity is idempotent: a retry or a
// replayed hire writes nothing the second time. Transient failures are
// returned as errors and retried by the workflow's retry policy.
func (a *Activities) WriteBack(ctx context.Context, in WriteBackInput) (WriteBackResult, error) {
	if a.HR == nil {
		return WriteBackResult{}, permanent("write back to HR", ErrTypeInvalidInput, errors.New("HR source "+errNotConfigured.Error()))
	}
	if !hr.ValidID(in.EmployeeID) {
		return WriteBackResult{}, permanent("write back to HR", ErrTypeInvalidInput, fmt.Errorf("employee id %q: %s", in.EmployeeID, hr.IDProblem(in.EmployeeID)))
	}
	if strings.TrimSpace(in.Email) == "" && strings.TrimSpace(in.UPN) == "" {
		return WriteBackResult{Supported: true, Note: "nothing to write back: no address"}, nil
	}
	wb, ok := a.HR.(hr.WriteBacker)
	if !ok {
		return WriteBackResult{Note: "the HR source does not accept write-back"}, nil
	}
	err := wb.WriteBack(ctx, in.EmployeeID, hr.WorkContact{Email: in.Email, UPN: in.UPN})
	switch {
	case err == nil:
		a.log().Info("work contact written back to HR", "employeeId", in.EmployeeID)
		return WriteBackResult{Supported: true}, nil
	case errors.Is(err, hr.ErrUnsupported):
		return WriteBackResult{Note: err.Error()}, nil
	case errors.Is(err, context.Canceled):
		return WriteBackResult{}, err
	case errors.Is(err, hr.ErrNotFound):
		return WriteBackResult{}, permanent("write back to HR", ErrTypeHRWriteBack, err)
	}
	return WriteBackResult{}, fmt.Errorf("write back to HR for %s: %w", in.EmployeeID, err)
}
