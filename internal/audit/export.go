package audit

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVHeader is the first row WriteCSV writes.
var CSVHeader = []string{"seq", "at", "employeeId", "objectId", "action", "targetKind", "targetId", "targetName",
	"changes", "reason", "workflowId", "runId", "activityId", "attempt"}

// WriteCSV writes records as CSV (RFC 4180) with a header row. Changes are one cell:
// "field: before -> after" entries separated by "; ".
func WriteCSV(w io.Writer, recs []Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write audit CSV: %w", err)
	}
	for _, r := range recs {
		row := []string{strconv.FormatInt(r.Seq, 10), r.At.UTC().Format(time.RFC3339Nano), r.EmployeeID, r.ObjectID,
			string(r.Action), r.Target.Kind, r.Target.ID, r.Target.Name, FormatChanges(r.Changes), r.Reason,
			r.WorkflowID, r.RunID, r.ActivityID, strconv.Itoa(r.Attempt)}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write audit CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write audit CSV: %w", err)
	}
	return nil
}

// WriteJSON writes records as a JSON array.
func WriteJSON(w io.Writer, recs []Record) error {
	if recs == nil {
		recs = []Record{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(recs); err != nil {
		return fmt.Errorf("write audit JSON: %w", err)
	}
	return nil
}

// FormatChanges renders changes as "field: before -> after; ..." ("?" for an unknown before).
func FormatChanges(cs []Change) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		before := "?"
		if c.BeforeKnown {
			before = strconv.Quote(c.Before)
		}
		parts = append(parts, c.Field+": "+before+" -> "+strconv.Quote(c.After))
	}
	return strings.Join(parts, "; ")
}
