// Package hr is the engine's canonical model of the people an HR system knows
// about: employees with (possibly overlapping) contracts, temporary
// replacements, the effective view of an employee at a moment, validation of
// a snapshot, and the Source interface every HR connector implements.
//
// The package is pure: it does no I/O and never reads the clock, so ViewAt,
// DiffViews and Validate may be called from deterministic workflow code.
// Connectors live in subpackages (file, afas, raet, nmbrs, workday).
package hr

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Name usage values (how the family name is composed), matching AFAS
// Naamgebruik B, P, BP and PB.
const (
	NameUsageOwn        = "own"
	NameUsagePartner    = "partner"
	NameUsageOwnPartner = "own-partner"
	NameUsagePartnerOwn = "partner-own"
)

// Employee is one person as the HR system knows them. The JSON form is the
// HR file format (docs/hr-file.md).
type Employee struct {
	EmployeeID        string     `json:"employeeId"`
	GivenName         string     `json:"givenName"`
	Prefix            string     `json:"prefix"`
	FamilyName        string     `json:"familyName"`
	PreferredName     string     `json:"preferredName"`
	PartnerPrefix     string     `json:"partnerPrefix"`
	PartnerFamilyName string     `json:"partnerFamilyName"`
	NameUsage         string     `json:"nameUsage"`
	Contracts         []Contract `json:"contracts"`
	// WorkEmail is the work e-mail address HR holds, if any (read back after
	// a write-back, or maintained by HR itself).
	WorkEmail string `json:"workEmail,omitempty"`
	// UPN is the user principal name HR holds, if any.
	UPN string `json:"upn,omitempty"`
}

// Contract is one employment (or one position within it) with its own
// period. A nil End means open-ended.
type Contract struct {
	ID                string  `json:"id"`
	Start             Date    `json:"start"`
	End               *Date   `json:"end"`
	JobCode           string  `json:"jobCode"`
	JobTitle          string  `json:"jobTitle"`
	Department        string  `json:"department"`
	DepartmentName    string  `json:"departmentName"`
	CostCenter        string  `json:"costCenter"`
	Company           string  `json:"company"`
	ManagerEmployeeID string  `json:"managerEmployeeId"`
	EmployeeType      string  `json:"employeeType"`
	FTE               float64 `json:"fte"`
}

// Replacement is a temporary replacement: the substitute receives the
// replaced person's role entitlements from Start to End (nil End: until
// ended on request).
type Replacement struct {
	ID                   string `json:"id"`
	SubstituteEmployeeID string `json:"substituteEmployeeId"`
	ReplacedEmployeeID   string `json:"replacedEmployeeId"`
	Start                Date   `json:"start"`
	End                  *Date  `json:"end"`
}

// Rejection reports a record that was refused (or, in Snapshot.Warnings, a
// record that was kept but changed), with the reason a person can act on.
type Rejection struct {
	EmployeeID string `json:"employeeId"`
	// ReplacementID is set when the refused record is a replacement; the
	// employee (the substitute) is then not itself rejected.
	ReplacementID string `json:"replacementId,omitempty"`
	Source        string `json:"source"`
	Reason        string `json:"reason"`
}

// String renders the rejection on one line.
func (r Rejection) String() string {
	id := r.EmployeeID
	if id == "" {
		id = "(no id)"
	}
	return fmt.Sprintf("%s: employee %s: %s", r.Source, id, r.Reason)
}

// Snapshot is the full set of employees a source knows at one moment.
//
// Rejected lists records that were refused; their employee ids must not be
// read as "no longer in HR" (a reconciliation should leave such employees
// alone rather than treat them as leavers). Warnings lists records that were
// kept with a correction, such as a dropped manager link.
type Snapshot struct {
	Employees    []Employee    `json:"employees"`
	Replacements []Replacement `json:"replacements,omitempty"`
	Rejected     []Rejection   `json:"rejected,omitempty"`
	Warnings     []Rejection   `json:"warnings,omitempty"`
}

// Find returns the employee with the given id.
func (s Snapshot) Find(id string) (Employee, bool) {
	for _, e := range s.Employees {
		if e.EmployeeID == id {
			return e, true
		}
	}
	return Employee{}, false
}

// IsRejected reports whether an employee record with this id was rejected
// (rejected replacements do not count).
func (s Snapshot) IsRejected(id string) bool {
	for _, r := range s.Rejected {
		if r.EmployeeID == id && r.ReplacementID == "" {
			return true
		}
	}
	return false
}

// WorkContact is what the engine writes back to HR once an account exists.
type WorkContact struct {
	Email string `json:"email,omitempty"`
	UPN   string `json:"upn,omitempty"`
}

// Source is an HR system the engine reads people from.
type Source interface {
	// Snapshot reads every employee (paging as the vendor requires) and
	// returns them validated: bad records are in Rejected, the rest arrive.
	Snapshot(ctx context.Context) (Snapshot, error)
	// Employee reads one employee. It returns an error wrapping ErrNotFound
	// when the source does not know the id, and a *RejectedError when the
	// record exists but is invalid.
	Employee(ctx context.Context, id string) (Employee, error)
}

// WriteBacker is implemented by sources that accept the work e-mail / UPN
// back. Sources that cannot return an error wrapping ErrUnsupported.
type WriteBacker interface {
	WriteBack(ctx context.Context, id string, c WorkContact) error
}

// WriteBackNeeder is implemented by sources that can tell, without a call,
// whether writing c back would change what HR holds (held: the addresses the
// source's own record carries). A source that does not offer write-back at
// all answers false.
type WriteBackNeeder interface {
	NeedsWriteBack(held, c WorkContact) bool
}

// NeedsWriteBack reports whether writing c back to src would change what HR
// holds: false for a source without write-back, the source's own answer for a
// WriteBackNeeder, and otherwise true unless held carries both addresses
// already (compared without case).
func NeedsWriteBack(src Source, held, c WorkContact) bool {
	if _, ok := src.(WriteBacker); !ok {
		return false
	}
	if n, ok := src.(WriteBackNeeder); ok {
		return n.NeedsWriteBack(held, c)
	}
	return !strings.EqualFold(held.Email, c.Email) || !strings.EqualFold(held.UPN, c.UPN)
}

// ErrNotFound is wrapped by Source.Employee when the id is unknown.
var ErrNotFound = errors.New("employee not found")

// ErrUnsupported is wrapped by operations a source does not offer.
var ErrUnsupported = errors.New("not supported by this HR source")

// ErrUntrustedSnapshot is wrapped by Source.Snapshot when what was read
// cannot be taken as the complete set of employees: a key repeated across
// pages (the order moved while paging), a page that failed or came back
// malformed mid-way. Such a read fails as a whole: a partial snapshot must
// never reach reconciliation, where the missing people would look like
// leavers.
var ErrUntrustedSnapshot = errors.New("HR snapshot cannot be trusted")

// Untrusted returns an error wrapping ErrUntrustedSnapshot that names the
// source and says what was wrong.
func Untrusted(source, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", source, ErrUntrustedSnapshot, fmt.Sprintf(format, args...))
}

// RejectedError is returned by Source.Employee for a record that exists but
// fails validation.
type RejectedError struct {
	Rejection Rejection
}

// Error implements error.
func (e *RejectedError) Error() string { return "rejected: " + e.Rejection.String() }

// FullName returns the name as people use it: preferred (or given) name,
// prefix and family name composed per NameUsage. It is meant for messages
// and reports; naming conventions for accounts live in the policy.
func (e Employee) FullName() string {
	first := e.PreferredName
	if first == "" {
		first = e.GivenName
	}
	own := joinNonEmpty(e.Prefix, e.FamilyName)
	partner := joinNonEmpty(e.PartnerPrefix, e.PartnerFamilyName)
	var last string
	switch e.NameUsage {
	case NameUsagePartner:
		last = partner
	case NameUsageOwnPartner:
		last = joinDash(own, partner)
	case NameUsagePartnerOwn:
		last = joinDash(partner, own)
	default:
		last = own
	}
	if last == "" {
		last = own
	}
	return joinNonEmpty(first, last)
}

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

func joinDash(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "-" + b
}

// Clone returns a deep copy of e, so callers may change contracts freely.
func (e Employee) Clone() Employee {
	c := e
	c.Contracts = make([]Contract, len(e.Contracts))
	for i, k := range e.Contracts {
		c.Contracts[i] = k
		if k.End != nil {
			end := *k.End
			c.Contracts[i].End = &end
		}
	}
	return c
}
