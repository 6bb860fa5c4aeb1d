// Package file is the HR connector for a plain file: the JSON document of
// docs/hr-file.md (also the dev-mode sample), or a CSV sheet with
// one row per contract for people who keep HR data in a spreadsheet.
package file

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/entralifecycle/engine/internal/hr"
)

// SourceName is the Rejection.Source of records refused by this connector.
const SourceName = "file"

// Formats accepted in Config.Format.
const (
	FormatJSON = "json"
	FormatCSV  = "csv"
)

// Config selects the file.
//
// Environment (mapped by the binaries):
//
//	LIFECYCLE_HR_FILE    Path   (required unless the data is supplied in code)
//	LIFECYCLE_HR_FILE_FORMAT  Format ("json" or "csv"; default from the extension, else json)
type Config struct {
	Path   string
	Format string
}

// Option adjusts a Source.
type Option func(*Source)

// WithLoader makes the Source read its bytes from load instead of Path, for
// example the bundled sample re-shifted to today on every read.
func WithLoader(name string, load func(ctx context.Context) ([]byte, error)) Option {
	return func(s *Source) { s.name, s.load = name, load }
}

// Source reads the whole file on every call, so edits are picked up by the
// next reconciliation.
type Source struct {
	name   string
	format string
	load   func(ctx context.Context) ([]byte, error)
}

var _ hr.Source = (*Source)(nil)
var _ hr.WriteBacker = (*Source)(nil)
var _ hr.WriteBackNeeder = (*Source)(nil)

// New returns a Source for cfg.
func New(cfg Config, opts ...Option) (*Source, error) {
	s := &Source{name: cfg.Path}
	if cfg.Path != "" {
		path := cfg.Path
		s.load = func(context.Context) ([]byte, error) {
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("file: read HR file (LIFECYCLE_HR_FILE): %w", err)
			}
			return b, nil
		}
	}
	for _, o := range opts {
		o(s)
	}
	if s.load == nil {
		return nil, errors.New("file: no HR file given: set LIFECYCLE_HR_FILE")
	}
	switch f := strings.ToLower(cfg.Format); f {
	case FormatJSON, FormatCSV:
		s.format = f
	case "":
		if strings.EqualFold(filepath.Ext(s.name), ".csv") {
			s.format = FormatCSV
		} else {
			s.format = FormatJSON
		}
	default:
		return nil, fmt.Errorf("file: LIFECYCLE_HR_FILE_FORMAT %q: want json or csv", cfg.Format)
	}
	return s, nil
}

// Snapshot reads and validates the file.
func (s *Source) Snapshot(ctx context.Context) (hr.Snapshot, error) {
	data, err := s.load(ctx)
	if err != nil {
		return hr.Snapshot{}, err
	}
	var snap hr.Snapshot
	if s.format == FormatCSV {
		snap, err = ParseCSV(bytes.NewReader(data))
	} else {
		snap, err = ParseJSON(data)
	}
	if err != nil {
		return hr.Snapshot{}, fmt.Errorf("file %s: %w", s.name, err)
	}
	return hr.Validate(snap), nil
}

// Employee reads the file and returns one employee.
func (s *Source) Employee(ctx context.Context, id string) (hr.Employee, error) {
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return hr.Employee{}, err
	}
	if e, ok := snap.Find(id); ok {
		return e, nil
	}
	for _, r := range snap.Rejected {
		if r.EmployeeID == id && r.ReplacementID == "" {
			return hr.Employee{}, &hr.RejectedError{Rejection: r}
		}
	}
	return hr.Employee{}, fmt.Errorf("file: employee %q: %w", id, hr.ErrNotFound)
}

// WriteBack is not offered: the file is the operator's, not the engine's.
func (s *Source) WriteBack(context.Context, string, hr.WorkContact) error {
	return fmt.Errorf("file: write-back of work e-mail / UPN: %w", hr.ErrUnsupported)
}

// NeedsWriteBack is always false: write-back is not offered.
func (s *Source) NeedsWriteBack(hr.WorkContact, hr.WorkContact) bool { return false }

// ParseJSON reads the JSON document of docs/hr-file.md. Only a document that is not a
// JSON object with an "employees" array is an error; a record that does not
// decode (a bad date, a number where text belongs) is put in Rejected with
// the reason, and the others arrive. The result is not yet validated.
func ParseJSON(data []byte) (hr.Snapshot, error) {
	var doc struct {
		Employees    []json.RawMessage `json:"employees"`
		Replacements []json.RawMessage `json:"replacements"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return hr.Snapshot{}, fmt.Errorf("not an HR document: %w", err)
	}
	if doc.Employees == nil {
		return hr.Snapshot{}, errors.New(`not an HR document: no "employees" array`)
	}
	var snap hr.Snapshot
	for i, raw := range doc.Employees {
		var e hr.Employee
		if err := json.Unmarshal(raw, &e); err != nil {
			snap.Rejected = append(snap.Rejected, hr.Rejection{EmployeeID: rawID(raw, "employeeId"), Source: SourceName,
				Reason: fmt.Sprintf("employees[%d]: %v", i, err)})
			continue
		}
		snap.Employees = append(snap.Employees, e)
	}
	for i, raw := range doc.Replacements {
		var r hr.Replacement
		if err := json.Unmarshal(raw, &r); err != nil {
			id := rawID(raw, "id")
			snap.Rejected = append(snap.Rejected, hr.Rejection{EmployeeID: rawID(raw, "substituteEmployeeId"),
				ReplacementID: cmpOr(id, "(unreadable)"), Source: SourceName, Reason: fmt.Sprintf("replacements[%d]: %v", i, err)})
			continue
		}
		snap.Replacements = append(snap.Replacements, r)
	}
	return snap, nil
}

// rawID pulls a string field out of a record that failed to decode.
func rawID(raw json.RawMessage, field string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(m[field], &s) != nil {
		return ""
	}
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
