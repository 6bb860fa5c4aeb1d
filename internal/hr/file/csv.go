package file

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/entralifecycle/engine/internal/hr"
)

// CSVColumns are the column names of the CSV form, in the order WriteCSV
// writes them. They are the JSON field names of docs/hr-file.md, with the
// contract's "id" called "contractId". Person columns repeat on each of a
// person's rows; rows are grouped by employeeId.
var CSVColumns = []string{
	"employeeId", "givenName", "prefix", "familyName", "preferredName",
	"partnerPrefix", "partnerFamilyName", "nameUsage", "workEmail", "upn",
	"contractId", "start", "end", "jobCode", "jobTitle", "department",
	"departmentName", "costCenter", "company", "managerEmployeeId",
	"employeeType", "fte",
}

var personColumns = []string{"givenName", "prefix", "familyName", "preferredName", "partnerPrefix", "partnerFamilyName", "nameUsage", "workEmail", "upn"}

// ParseCSV reads the one-row-per-contract sheet. The separator is a comma
// or a semicolon (what spreadsheets in Dutch locales write), detected from
// the header; a byte-order mark is skipped; "fte" accepts a decimal comma;
// "end" may be empty for an open-ended contract. Column names match case-
// insensitively and unknown columns are ignored. A file without the
// employeeId and start columns is an error; a bad row rejects that person
// (all their rows) with the row number and reason. CSV has no replacements.
func ParseCSV(r io.Reader) (hr.Snapshot, error) {
	cr, col, err := openCSV(r)
	if err != nil {
		return hr.Snapshot{}, err
	}
	var order []string
	people := map[string]*csvPerson{}
	var snap hr.Snapshot
	line := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// The csv reader cannot resynchronise reliably; what was read
				// so far stands, and the rest of the file is reported.
				snap.Rejected = append(snap.Rejected, hr.Rejection{Source: SourceName,
					Reason: fmt.Sprintf("CSV line %d and after unreadable: %v", pe.Line, pe.Err)})
				break
			}
			return hr.Snapshot{}, fmt.Errorf("read CSV: %w", err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if isBlank(rec) {
			continue
		}
		line, _ = cr.FieldPos(0)
		id := get("employeeId")
		p := people[id]
		if p == nil {
			p = newCSVPerson(id, get)
			people[id] = p
			order = append(order, id)
		} else {
			for _, f := range personColumns {
				if _, present := col[f]; present && get(f) != p.fields[f] {
					p.bad = append(p.bad, fmt.Sprintf("line %d: %s %q differs from the person's first row (%q)", line, f, get(f), p.fields[f]))
				}
			}
		}
		p.addContract(get, line)
	}
	for _, id := range order {
		p := people[id]
		if len(p.bad) > 0 {
			snap.Rejected = append(snap.Rejected, hr.Rejection{EmployeeID: id, Source: SourceName, Reason: strings.Join(p.bad, "; ")})
			continue
		}
		snap.Employees = append(snap.Employees, p.e)
	}
	return snap, nil
}

// openCSV skips a byte-order mark, detects the separator from the first
// line and reads the header: the reader stands on the first data row, and
// col maps each known column (CSVColumns spelling) to its index.
func openCSV(r io.Reader) (*csv.Reader, map[string]int, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, nil, fmt.Errorf("read CSV: %w", err)
	}
	firstLine, _, _ := bytes.Cut(head, []byte("\n"))
	cr := csv.NewReader(br)
	if bytes.Count(firstLine, []byte(";")) > bytes.Count(firstLine, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("read CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		key := strings.ToLower(strings.TrimSpace(h))
		for _, name := range CSVColumns {
			if strings.ToLower(name) == key {
				col[name] = i
			}
		}
	}
	for _, need := range []string{"employeeId", "start"} {
		if _, ok := col[need]; !ok {
			return nil, nil, fmt.Errorf("CSV header lacks the %q column", need)
		}
	}
	return cr, col, nil
}

// csvPerson is one employee being read: the person fields of their first
// row, their contracts so far, and the problems that reject them.
type csvPerson struct {
	e      hr.Employee
	fields map[string]string
	bad    []string
}

// newCSVPerson takes the person fields from a person's first row.
func newCSVPerson(id string, get func(string) string) *csvPerson {
	p := &csvPerson{e: hr.Employee{EmployeeID: id}, fields: map[string]string{}}
	for _, f := range personColumns {
		p.fields[f] = get(f)
	}
	p.e.GivenName, p.e.Prefix, p.e.FamilyName = get("givenName"), get("prefix"), get("familyName")
	p.e.PreferredName, p.e.PartnerPrefix, p.e.PartnerFamilyName = get("preferredName"), get("partnerPrefix"), get("partnerFamilyName")
	p.e.NameUsage, p.e.WorkEmail, p.e.UPN = get("nameUsage"), get("workEmail"), get("upn")
	return p
}

// addContract adds the contract of one row (at line), noting its problems.
func (p *csvPerson) addContract(get func(string) string, line int) {
	c := hr.Contract{
		ID: get("contractId"), JobCode: get("jobCode"), JobTitle: get("jobTitle"),
		Department: get("department"), DepartmentName: get("departmentName"), CostCenter: get("costCenter"),
		Company: get("company"), ManagerEmployeeID: get("managerEmployeeId"), EmployeeType: get("employeeType"),
	}
	if c.ID == "" {
		c.ID = fmt.Sprintf("%s-%d", p.e.EmployeeID, len(p.e.Contracts)+1)
	}
	if s := get("start"); s == "" {
		p.bad = append(p.bad, fmt.Sprintf("line %d: missing start", line))
	} else if d, err := hr.ParseDate(s); err != nil {
		p.bad = append(p.bad, fmt.Sprintf("line %d: start: %v", line, err))
	} else {
		c.Start = d
	}
	if s := get("end"); s != "" {
		if d, err := hr.ParseDate(s); err != nil {
			p.bad = append(p.bad, fmt.Sprintf("line %d: end: %v", line, err))
		} else {
			c.End = &d
		}
	}
	if s := get("fte"); s != "" {
		f, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
		if err != nil {
			p.bad = append(p.bad, fmt.Sprintf("line %d: fte %q is not a number", line, s))
		}
		c.FTE = f
	}
	p.e.Contracts = append(p.e.Contracts, c)
}

// WriteCSV writes employees in the CSV form (one row per contract; a person
// without contracts gets one row with empty contract columns).
func WriteCSV(w io.Writer, emps []hr.Employee) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	for _, e := range emps {
		cs := e.Contracts
		if len(cs) == 0 {
			cs = []hr.Contract{{}}
		}
		for _, c := range cs {
			end := ""
			if c.End != nil {
				end = c.End.String()
			}
			fte := ""
			if c.FTE != 0 {
				fte = strconv.FormatFloat(c.FTE, 'f', -1, 64)
			}
			row := []string{e.EmployeeID, e.GivenName, e.Prefix, e.FamilyName, e.PreferredName,
				e.PartnerPrefix, e.PartnerFamilyName, e.NameUsage, e.WorkEmail, e.UPN,
				c.ID, c.Start.String(), end, c.JobCode, c.JobTitle, c.Department,
				c.DepartmentName, c.CostCenter, c.Company, c.ManagerEmployeeID, c.EmployeeType, fte}
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("write CSV: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

func isBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
