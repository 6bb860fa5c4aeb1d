// Package workday is the HR connector for Workday through a custom report
// exposed as a web service (Report-as-a-Service).
//
// Wire format (https://doc.workday.com/admin-guide/en-us/integration/workday-reports/report-as-a-service-raas.html):
// GET https://{host}/ccx/service/customreport2/{tenant}/{owner}/{report}?format=json
// with Basic authentication (an integration system user) or an OAuth bearer
// token; the reply is {"Report_Entry":[{…}]} whose keys are the report's own
// column aliases, so the aliases are configurable. RaaS has no paging: the
// report's prompts filter it. Dates may carry a zone suffix
// ("2024-01-15-08:00"); the calendar day is kept. One entry per position:
// entries with the same employee id become that employee's contracts, and
// the manager is given by an employee id column.
//
// Multi-instance and object-valued fields: a RaaS JSON entry may carry a
// field as an object ({"Descriptor":…,"ID":…}) or as an array of values or
// objects (a multi-instance field, or a related business object's group
// with its own sub-columns). A column the mapping does not use is never
// read, so its shape cannot reject a worker. A column the mapping uses is
// read by this rule:
//
//   - a string, number or boolean is its text; null is empty;
//   - an alias written "Group/Sub" reads sub-column Sub of the object (or
//     of the chosen array element) Group;
//   - an array yields one element: the first whose Primary, Is_Primary,
//     Primary_Flag or isPrimary member is true ("1", "Y", "Yes", "true" or
//     true), else the first element; an empty array is empty;
//   - an object without a sub-column yields its Descriptor, else its ID;
//     any other object is an error that rejects the worker and names the
//     column, so the operator can write "Alias/Sub".
package workday

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/internal/vendorhttp"
)

// SourceName is the Rejection.Source of records refused by this connector.
const SourceName = "workday"

// Column keys, as used in Config.Columns and LIFECYCLE_WORKDAY_COLUMNS.
const (
	ColEmployeeID     = "employeeId"
	ColGivenName      = "givenName"
	ColPreferredName  = "preferredName"
	ColPrefix         = "prefix"
	ColFamilyName     = "familyName"
	ColWorkEmail      = "workEmail"
	ColContractID     = "contractId"
	ColStart          = "start"
	ColEnd            = "end"
	ColJobCode        = "jobCode"
	ColJobTitle       = "jobTitle"
	ColDepartment     = "department"
	ColDepartmentName = "departmentName"
	ColCostCenter     = "costCenter"
	ColCompany        = "company"
	ColManager        = "managerEmployeeId"
	ColEmployeeType   = "employeeType"
	ColFTE            = "fte"
)

// DefaultColumns are the report column aliases used unless overridden.
var DefaultColumns = map[string]string{
	ColEmployeeID: "Employee_ID", ColGivenName: "Legal_Name_First_Name", ColPreferredName: "Preferred_Name_First_Name",
	ColPrefix: "Legal_Name_Prefix", ColFamilyName: "Legal_Name_Last_Name", ColWorkEmail: "Email_Work",
	ColContractID: "Position_ID", ColStart: "Hire_Date", ColEnd: "Termination_Date", ColJobCode: "Job_Profile_ID",
	ColJobTitle: "Business_Title", ColDepartment: "Supervisory_Organization_ID", ColDepartmentName: "Supervisory_Organization",
	ColCostCenter: "Cost_Center", ColCompany: "Company", ColManager: "Manager_Employee_ID", ColEmployeeType: "Worker_Type",
	ColFTE: "FTE",
}

// Config holds the Workday settings.
//
// Environment (mapped by the binaries):
//
//	LIFECYCLE_WORKDAY_REPORT_URL     ReportURL: https://{host}/ccx/service/customreport2/{tenant}/{owner}/{report} (required)
//	LIFECYCLE_WORKDAY_USERNAME       Username (Basic authentication)
//	LIFECYCLE_WORKDAY_PASSWORD       Password
//	LIFECYCLE_WORKDAY_TOKEN_URL      TokenURL (OAuth, instead of Basic)
//	LIFECYCLE_WORKDAY_CLIENT_ID      ClientID
//	LIFECYCLE_WORKDAY_CLIENT_SECRET  ClientSecret
//	LIFECYCLE_WORKDAY_REFRESH_TOKEN  RefreshToken (refresh_token grant; without it client_credentials is used)
//	LIFECYCLE_WORKDAY_COLUMNS        Columns, e.g. "employeeId=Worker_ID,start=Original_Hire_Date" (see ParseColumns)
type Config struct {
	ReportURL    string
	Username     string
	Password     string
	TokenURL     string
	ClientID     string
	ClientSecret string
	RefreshToken string
	Columns      map[string]string
}

// ParseColumns reads "key=Alias,key=Alias" into a column map, checking
// the keys.
func ParseColumns(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if _, known := DefaultColumns[k]; !ok || !known || v == "" {
			return nil, fmt.Errorf("workday: LIFECYCLE_WORKDAY_COLUMNS entry %q: want key=Alias with a key among %s", part, strings.Join(columnKeys(), ", "))
		}
		out[k] = v
	}
	return out, nil
}

func columnKeys() []string {
	var ks []string
	for k := range DefaultColumns {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Option adjusts a Source.
type Option func(*Source)

// WithHTTPClient sets the HTTP client.
func WithHTTPClient(c *http.Client) Option { return func(s *Source) { s.http = c } }

// WithSleep replaces the wait between retries (tests).
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Source) { s.sleep = f }
}

// Source reads employees from a Workday RaaS report.
type Source struct {
	url   string
	cols  map[string]string
	http  *http.Client
	sleep func(ctx context.Context, d time.Duration) error
	cl    *vendorhttp.Client
}

var _ hr.Source = (*Source)(nil)
var _ hr.WriteBackNeeder = (*Source)(nil)

// New checks cfg and returns a Source.
func New(cfg Config, opts ...Option) (*Source, error) {
	u, err := url.Parse(cfg.ReportURL)
	if cfg.ReportURL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("workday: LIFECYCLE_WORKDAY_REPORT_URL %q is not an http(s) URL", cfg.ReportURL)
	}
	q := u.Query()
	q.Set("format", "json")
	u.RawQuery = q.Encode()
	cols := map[string]string{}
	for k, v := range DefaultColumns {
		cols[k] = v
	}
	for k, v := range cfg.Columns {
		if _, ok := DefaultColumns[k]; !ok {
			return nil, fmt.Errorf("workday: unknown column key %q (LIFECYCLE_WORKDAY_COLUMNS)", k)
		}
		cols[k] = v
	}
	s := &Source{url: u.String(), cols: cols, http: http.DefaultClient}
	for _, o := range opts {
		o(s)
	}
	s.cl = &vendorhttp.Client{HTTP: s.http, Vendor: "workday", Sleep: s.sleep}
	switch {
	case cfg.Username != "" && cfg.Password != "":
		s.cl.AuthHint = "LIFECYCLE_WORKDAY_USERNAME and LIFECYCLE_WORKDAY_PASSWORD (and that the user may run the report)"
		s.cl.Auth = func(_ context.Context, r *http.Request) error {
			r.SetBasicAuth(cfg.Username, cfg.Password)
			return nil
		}
	case cfg.TokenURL != "" && cfg.ClientID != "" && cfg.ClientSecret != "":
		cc := &vendorhttp.ClientCredentials{Vendor: "workday", TokenURL: cfg.TokenURL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			Hint: "LIFECYCLE_WORKDAY_CLIENT_ID, LIFECYCLE_WORKDAY_CLIENT_SECRET and LIFECYCLE_WORKDAY_REFRESH_TOKEN", HTTP: s.http}
		if cfg.RefreshToken != "" {
			cc.GrantType, cc.Extra = "refresh_token", url.Values{"refresh_token": {cfg.RefreshToken}}
		}
		s.cl.AuthHint = "LIFECYCLE_WORKDAY_CLIENT_ID and LIFECYCLE_WORKDAY_CLIENT_SECRET (and the API client's access to the report)"
		s.cl.Auth = func(ctx context.Context, r *http.Request) error {
			t, err := cc.Token(ctx)
			if err != nil {
				return err
			}
			r.Header.Set("Authorization", "Bearer "+t)
			return nil
		}
	default:
		return nil, errors.New("workday: no credentials: set LIFECYCLE_WORKDAY_USERNAME and LIFECYCLE_WORKDAY_PASSWORD, or LIFECYCLE_WORKDAY_TOKEN_URL, LIFECYCLE_WORKDAY_CLIENT_ID and LIFECYCLE_WORKDAY_CLIENT_SECRET")
	}
	return s, nil
}

// Snapshot runs the report and returns the validated snapshot.
func (s *Source) Snapshot(ctx context.Context) (hr.Snapshot, error) {
	var rep struct {
		ReportEntry json.RawMessage `json:"Report_Entry"`
	}
	if err := s.cl.Get(ctx, s.url, &rep); err != nil {
		return hr.Snapshot{}, fmt.Errorf("workday: run report: %w", err)
	}
	rows, err := vendorhttp.DecodeRows(rep.ReportEntry)
	if err != nil {
		return hr.Snapshot{}, fmt.Errorf("workday: Report_Entry: %w", err)
	}
	emps, rejected := Build(rows, s.cols)
	return hr.Validate(hr.Snapshot{Employees: emps, Rejected: rejected}), nil
}

// Employee runs the report and returns one employee.
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
	return hr.Employee{}, fmt.Errorf("workday: employee %q: %w", id, hr.ErrNotFound)
}

// WriteBack is not offered: RaaS is read-only.
func (s *Source) WriteBack(context.Context, string, hr.WorkContact) error {
	return fmt.Errorf("workday: write-back of work e-mail / UPN: %w", hr.ErrUnsupported)
}

// NeedsWriteBack is always false: write-back is not offered.
func (s *Source) NeedsWriteBack(hr.WorkContact, hr.WorkContact) bool { return false }

// Build maps report entries to employees using the column aliases cols
// (missing keys fall back to DefaultColumns). An entry that does not decode
// or has an unreadable date rejects its employee with the reason.
func Build(rows []json.RawMessage, cols map[string]string) ([]hr.Employee, []hr.Rejection) {
	col := func(k string) string {
		if v, ok := cols[k]; ok {
			return v
		}
		return DefaultColumns[k]
	}
	var rejected []hr.Rejection
	var order []string
	emps := map[string]*hr.Employee{}
	bad := map[string][]string{}
	for i, raw := range rows {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			rejected = append(rejected, hr.Rejection{Source: SourceName, Reason: fmt.Sprintf("Report_Entry %d: %v", i+1, err)})
			continue
		}
		var problems []string
		get := func(k string) string {
			v, err := Value(m, col(k))
			if err != nil {
				problems = append(problems, fmt.Sprintf("Report_Entry %d: %v", i+1, err))
			}
			return v
		}
		id, idErr := Value(m, col(ColEmployeeID))
		if id == "" || idErr != nil {
			reason := fmt.Sprintf("Report_Entry %d: no %s", i+1, col(ColEmployeeID))
			if idErr != nil {
				reason = fmt.Sprintf("Report_Entry %d: %v", i+1, idErr)
			}
			rejected = append(rejected, hr.Rejection{Source: SourceName, Reason: reason})
			continue
		}
		e := emps[id]
		if e == nil {
			e = &hr.Employee{EmployeeID: id, GivenName: get(ColGivenName), PreferredName: get(ColPreferredName), Prefix: get(ColPrefix),
				FamilyName: get(ColFamilyName), NameUsage: hr.NameUsageOwn, WorkEmail: get(ColWorkEmail)}
			emps[id] = e
			order = append(order, id)
		}
		startText := get(ColStart)
		start, err := vendorhttp.Day(startText)
		if err != nil || start.IsZero() {
			bad[id] = append(bad[id], fmt.Sprintf("Report_Entry %d: %s %q unreadable", i+1, col(ColStart), startText))
			continue
		}
		end, err := vendorhttp.EndDay(get(ColEnd))
		if err != nil {
			bad[id] = append(bad[id], fmt.Sprintf("Report_Entry %d: %s: %v", i+1, col(ColEnd), err))
			continue
		}
		fte, err := vendorhttp.Text(get(ColFTE)).Number()
		if err != nil {
			bad[id] = append(bad[id], fmt.Sprintf("Report_Entry %d: %s: %v", i+1, col(ColFTE), err))
			continue
		}
		cid := get(ColContractID)
		if cid == "" {
			cid = fmt.Sprintf("%s-%d", id, len(e.Contracts)+1)
		}
		c := hr.Contract{ID: cid, Start: start, End: end, JobCode: get(ColJobCode), JobTitle: get(ColJobTitle),
			Department: get(ColDepartment), DepartmentName: get(ColDepartmentName), CostCenter: get(ColCostCenter), Company: get(ColCompany),
			ManagerEmployeeID: get(ColManager), EmployeeType: get(ColEmployeeType), FTE: fte}
		if len(problems) > 0 {
			bad[id] = append(bad[id], problems...)
			continue
		}
		e.Contracts = append(e.Contracts, c)
	}
	var out []hr.Employee
	for _, id := range order {
		if len(bad[id]) > 0 {
			rejected = append(rejected, hr.Rejection{EmployeeID: id, Source: SourceName, Reason: strings.Join(bad[id], "; ")})
			continue
		}
		out = append(out, *emps[id])
	}
	return out, rejected
}

// Value reads the column alias from a report entry by the rule in the
// package comment; a missing column is empty.
func Value(entry map[string]json.RawMessage, alias string) (string, error) {
	group, sub, nested := strings.Cut(alias, "/")
	raw, ok := entry[group]
	if !ok {
		return "", nil
	}
	v, err := pick(raw)
	if err != nil {
		return "", fmt.Errorf("%s: %w", group, err)
	}
	if nested {
		obj, isObj := v.(map[string]json.RawMessage)
		if !isObj {
			if v == nil {
				return "", nil
			}
			return "", fmt.Errorf("%s: want an object with sub-column %s", group, sub)
		}
		return Value(obj, sub)
	}
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case map[string]json.RawMessage:
		for _, k := range []string{"Descriptor", "ID"} {
			if r, ok := x[k]; ok {
				var t vendorhttp.Text
				if json.Unmarshal(r, &t) == nil && t != "" {
					return string(t), nil
				}
			}
		}
		return "", fmt.Errorf("%s is an object without Descriptor or ID: name a sub-column as %s/<sub-column> in LIFECYCLE_WORKDAY_COLUMNS", group, group)
	}
	return "", fmt.Errorf("%s: unreadable value", group)
}

// pick turns a raw value into text, an object, or nil; an array yields its
// primary (else first) element.
func pick(raw json.RawMessage) (any, error) {
	b := strings.TrimSpace(string(raw))
	switch {
	case b == "" || b == "null":
		return nil, nil
	case b[0] == '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, err
		}
		if len(elems) == 0 {
			return nil, nil
		}
		chosen := elems[0]
		for _, el := range elems {
			var obj map[string]json.RawMessage
			if json.Unmarshal(el, &obj) == nil && isPrimary(obj) {
				chosen = el
				break
			}
		}
		if strings.HasPrefix(strings.TrimSpace(string(chosen)), "[") {
			return nil, errors.New("nested arrays are not supported")
		}
		return pick(chosen)
	case b[0] == '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, err
		}
		return obj, nil
	}
	var t vendorhttp.Text
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, err
	}
	return string(t), nil
}

func isPrimary(obj map[string]json.RawMessage) bool {
	for _, k := range []string{"Primary", "Is_Primary", "Primary_Flag", "isPrimary"} {
		var t vendorhttp.Text
		if r, ok := obj[k]; ok && json.Unmarshal(r, &t) == nil {
			switch strings.ToLower(string(t)) {
			case "1", "y", "yes", "true":
				return true
			}
		}
	}
	return false
}
