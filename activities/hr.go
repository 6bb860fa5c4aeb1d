package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/orgattr"
	"github.com/entralifecycle/engine/internal/policy"
)

// PolicySnapshot is the access policy as data for workflow code, with the
// hash of its content so a workflow can tell whether it changed.
type PolicySnapshot struct {
	Policy policy.Policy `json:"policy"`
	// Hash is the hex SHA-256 of the policy's JSON form.
	Hash string `json:"hash"`
}

// LoadPolicy reads the current access policy.
func (a *Activities) LoadPolicy(ctx context.Context) (PolicySnapshot, error) {
	if a.Policy == nil {
		return PolicySnapshot{}, permanent("load policy", ErrTypeInvalidInput, errNotConfigured)
	}
	p, err := a.Policy(ctx)
	if err != nil {
		return PolicySnapshot{}, fmt.Errorf("load policy: %w", err)
	}
	hash, err := PolicyHash(p)
	if err != nil {
		return PolicySnapshot{}, err
	}
	return PolicySnapshot{Policy: *p, Hash: hash}, nil
}

// PolicyHash is the hex SHA-256 of a policy's JSON form: equal policies give
// equal hashes whatever file they came from.
func PolicyHash(p *policy.Policy) (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("hash policy: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// EmployeeRecord is what the HR source says about one employee.
type EmployeeRecord struct {
	// Found is false when the source does not know the id.
	Found bool `json:"found"`
	// Rejected is the reason when the record exists but fails validation.
	Rejected string      `json:"rejected,omitempty"`
	Employee hr.Employee `json:"employee"`
}

// ReadEmployee reads one employee from the HR source. An unknown id and a
// rejected record are answers, not failures, so the workflow can record them.
func (a *Activities) ReadEmployee(ctx context.Context, employeeID string) (EmployeeRecord, error) {
	if a.HR == nil {
		return EmployeeRecord{}, permanent("read employee", ErrTypeInvalidInput, errNotConfigured)
	}
	e, err := a.HR.Employee(ctx, employeeID)
	var rej *hr.RejectedError
	switch {
	case err == nil:
		return EmployeeRecord{Found: true, Employee: e}, nil
	case errors.Is(err, hr.ErrNotFound):
		return EmployeeRecord{}, nil
	case errors.As(err, &rej):
		return EmployeeRecord{Found: true, Rejected: rej.Rejection.Reason}, nil
	}
	return EmployeeRecord{}, fmt.Errorf("read employee %s from HR: %w", employeeID, err)
}

// RoleEntitlementsInput asks for an employee's role entitlements at a moment.
type RoleEntitlementsInput struct {
	EmployeeID string    `json:"employeeId"`
	At         time.Time `json:"at"`
}

// RoleEntitlementsResult lists what the policy grants an employee from
// their role at a moment (empty when they are not active then).
type RoleEntitlementsResult struct {
	Found  bool           `json:"found"`
	Active bool           `json:"active"`
	Grants []policy.Grant `json:"grants,omitempty"`
}

// RoleEntitlements computes an employee's role entitlements from HR and the
// current policy. The substitute's entity workflow uses it to learn what a
// replaced colleague holds: the answer comes from the source of truth, not
// from the other entity's state, so it is right even when that colleague's
// workflow is busy, failed or not started.
func (a *Activities) RoleEntitlements(ctx context.Context, in RoleEntitlementsInput) (RoleEntitlementsResult, error) {
	rec, err := a.ReadEmployee(ctx, in.EmployeeID)
	if err != nil || !rec.Found || rec.Rejected != "" {
		return RoleEntitlementsResult{Found: rec.Found && rec.Rejected == ""}, err
	}
	snap, err := a.LoadPolicy(ctx)
	if err != nil {
		return RoleEntitlementsResult{}, err
	}
	p := snap.Policy
	v := rec.Employee.ViewAt(in.At, p.Location())
	out := RoleEntitlementsResult{Found: true, Active: v.Active}
	if v.Active {
		out.Grants = p.Entitlements(orgattr.PolicyAttributes(v))
	}
	return out, nil
}
