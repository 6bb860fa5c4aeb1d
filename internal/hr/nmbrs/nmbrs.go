// Package nmbrs is the HR connector for Visma Nmbrs through its REST API.
//
// Wire format (developer.nmbrs.com; the flow of
// https://support.nmbrs.com/hc/en-us/articles/11510824844050-Basic-HR-employee-synchronization):
// "Authorization: Bearer <token>" plus "X-Subscription-Key"; GET
// {base}/companies, then per company /companies/{id}/employees and the
// history lists /companies/{id}/employees/{employments,functions,departments,managers};
// list replies are {"data":[…],"pagination":{"pageNumber":…,"pageSize":…,"totalPages":…}}
// and are paged with pageNumber / pageSize.
//
// Nmbrs managers are not employee references: a manager record carries a
// name and an e-mail address. The connector resolves them to employees by
// business e-mail first, then by full name, and reports a missing or
// ambiguous match as a warning instead of guessing (as other integrations
// do: https://docs.kombo.dev/hris/connectors/nmbrs).
package nmbrs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/internal/vendorhttp"
)

// SourceName is the Rejection.Source of records refused by this connector.
const SourceName = "nmbrs"

// Config holds the Nmbrs settings.
//
// Environment (mapped by the binaries):
//
//	LIFECYCLE_NMBRS_BASE_URL          BaseURL (default https://api.nmbrsapp.com/api)
//	LIFECYCLE_NMBRS_TOKEN             Token: the OAuth bearer access token (required)
//	LIFECYCLE_NMBRS_SUBSCRIPTION_KEY  SubscriptionKey (required)
//	LIFECYCLE_NMBRS_COMPANY_IDS       CompanyIDs, comma-separated (default: every company the token sees)
//	LIFECYCLE_NMBRS_PAGE_SIZE         PageSize (default 100)
type Config struct {
	BaseURL         string
	Token           string
	SubscriptionKey string
	CompanyIDs      []string
	PageSize        int
}

// Option adjusts a Source.
type Option func(*Source)

// WithHTTPClient sets the HTTP client.
func WithHTTPClient(c *http.Client) Option { return func(s *Source) { s.http = c } }

// WithSleep replaces the wait between retries (tests).
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Source) { s.sleep = f }
}

// Source reads employees from Nmbrs.
type Source struct {
	cfg   Config
	http  *http.Client
	sleep func(ctx context.Context, d time.Duration) error
	cl    *vendorhttp.Client
}

var _ hr.Source = (*Source)(nil)

// New checks cfg and returns a Source.
func New(cfg Config, opts ...Option) (*Source, error) {
	if cfg.Token == "" || cfg.SubscriptionKey == "" {
		return nil, errors.New("nmbrs: LIFECYCLE_NMBRS_TOKEN and LIFECYCLE_NMBRS_SUBSCRIPTION_KEY must be set")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.nmbrsapp.com/api"
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("nmbrs: LIFECYCLE_NMBRS_BASE_URL %q is not an http(s) URL", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	s := &Source{cfg: cfg, http: http.DefaultClient}
	for _, o := range opts {
		o(s)
	}
	s.cl = &vendorhttp.Client{HTTP: s.http, Vendor: "nmbrs", Sleep: s.sleep,
		AuthHint: "LIFECYCLE_NMBRS_TOKEN and LIFECYCLE_NMBRS_SUBSCRIPTION_KEY",
		Auth: func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+cfg.Token)
			r.Header.Set("X-Subscription-Key", cfg.SubscriptionKey)
			return nil
		}}
	return s, nil
}

type page struct {
	Data       json.RawMessage `json:"data"`
	Pagination struct {
		PageNumber int `json:"pageNumber"`
		TotalPages int `json:"totalPages"`
	} `json:"pagination"`
}

func (s *Source) list(ctx context.Context, path string) ([]json.RawMessage, error) {
	var all []json.RawMessage
	for n := 1; ; n++ {
		q := url.Values{"pageNumber": {strconv.Itoa(n)}, "pageSize": {strconv.Itoa(s.cfg.PageSize)}}
		var p page
		if err := s.cl.Get(ctx, s.cfg.BaseURL+path+"?"+q.Encode(), &p); err != nil {
			return nil, fmt.Errorf("nmbrs: read %s: %w", path, err)
		}
		rows, err := vendorhttp.DecodeRows(p.Data)
		if err != nil {
			return nil, fmt.Errorf("nmbrs: %s: %w", path, err)
		}
		all = append(all, rows...)
		if n >= p.Pagination.TotalPages || len(rows) == 0 || n > 100000 {
			return all, nil
		}
	}
}

// Company is everything read for one company, as raw records.
type Company struct {
	Name                                                     string
	Employees, Employments, Functions, Departments, Managers []json.RawMessage
}

// Snapshot reads every configured company and returns the validated
// snapshot, with unresolvable managers in Warnings.
func (s *Source) Snapshot(ctx context.Context) (hr.Snapshot, error) {
	ids := s.cfg.CompanyIDs
	names := map[string]string{}
	if len(ids) == 0 {
		rows, err := s.list(ctx, "/companies")
		if err != nil {
			return hr.Snapshot{}, err
		}
		for _, raw := range rows {
			var c struct {
				CompanyID vendorhttp.Text `json:"companyId"`
				Name      vendorhttp.Text `json:"name"`
			}
			if json.Unmarshal(raw, &c) == nil && c.CompanyID != "" {
				ids = append(ids, string(c.CompanyID))
				names[string(c.CompanyID)] = string(c.Name)
			}
		}
	}
	var companies []Company
	for _, id := range ids {
		c := Company{Name: names[id]}
		base := "/companies/" + url.PathEscape(id) + "/employees"
		var err error
		for _, part := range []struct {
			path string
			dst  *[]json.RawMessage
		}{{"", &c.Employees}, {"/employments", &c.Employments}, {"/functions", &c.Functions}, {"/departments", &c.Departments}, {"/managers", &c.Managers}} {
			if *part.dst, err = s.list(ctx, base+part.path); err != nil {
				return hr.Snapshot{}, err
			}
		}
		companies = append(companies, c)
	}
	snap := Build(companies)
	return hr.Validate(snap), nil
}

// Employee reads the snapshot and returns one employee (by employee number).
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
	return hr.Employee{}, fmt.Errorf("nmbrs: employee %q: %w", id, hr.ErrNotFound)
}

// WriteBack is not offered for Nmbrs.
func (s *Source) WriteBack(context.Context, string, hr.WorkContact) error {
	return fmt.Errorf("nmbrs: write-back of work e-mail / UPN: %w", hr.ErrUnsupported)
}

type text = vendorhttp.Text

type employeeRec struct {
	EmployeeID        text `json:"employeeId"`
	EmployeeBasicInfo struct {
		EmployeeNumber text `json:"employeeNumber"`
		FirstName      text `json:"firstName"`
		Prefix         text `json:"prefix"`
		LastName       text `json:"lastName"`
		EmployeeType   text `json:"employeeType"`
		BusinessEmail  text `json:"businessEmail"`
	} `json:"employeeBasicInfo"`
}

type employmentItem struct {
	EmploymentID text `json:"employmentId"`
	StartDate    text `json:"startDate"`
	EndDate      text `json:"endDate"`
}

type functionItem struct {
	StartDate text `json:"startDate"`
	CreatedAt text `json:"createdAt"`
	Function  struct {
		Code        text `json:"code"`
		Description text `json:"description"`
	} `json:"function"`
}

type departmentItem struct {
	StartDate   text `json:"startDate"`
	CreatedAt   text `json:"createdAt"`
	Code        text `json:"code"`
	Description text `json:"description"`
}

type managerItem struct {
	StartDate text `json:"startDate"`
	CreatedAt text `json:"createdAt"`
	FirstName text `json:"firstName"`
	LastName  text `json:"lastName"`
	Email     text `json:"email"`
}

// decodeHistory reads [{"employeeId":…, "<key>":[…]}] records.
func decodeHistory[T any](rows []json.RawMessage, key string, bad func(id, reason string)) map[string][]T {
	out := map[string][]T{}
	for i, raw := range rows {
		var m map[string]json.RawMessage
		var id text
		if err := json.Unmarshal(raw, &m); err != nil || json.Unmarshal(m["employeeId"], &id) != nil || id == "" {
			bad(vendorhttp.Field(raw, "employeeId"), fmt.Sprintf("%s record %d unreadable", key, i+1))
			continue
		}
		var items []T
		if len(m[key]) > 0 {
			if err := json.Unmarshal(m[key], &items); err != nil {
				bad(string(id), fmt.Sprintf("%s: %v", key, err))
				continue
			}
		}
		out[string(id)] = append(out[string(id)], items...)
	}
	return out
}

// latest picks the entry with the latest start (then creation) date.
func latest[T any](items []T, key func(T) string) (T, bool) {
	var best T
	if len(items) == 0 {
		return best, false
	}
	sorted := append([]T(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool { return key(sorted[i]) < key(sorted[j]) })
	return sorted[len(sorted)-1], true
}

// Build maps the records of every company to a snapshot (not yet
// validated). Employees are identified by their employee number. The
// current (latest) function, department and manager apply to all of an
// employee's employments.
func Build(companies []Company) hr.Snapshot {
	var snap hr.Snapshot
	type entry struct {
		e     hr.Employee
		guid  string
		mail  string
		bad   []string
		mgr   *managerItem
		order int
	}
	byNumber := map[string]*entry{}
	var order []string
	for _, co := range companies {
		guidToNumber := map[string]string{}
		badGUID := map[string][]string{}
		mark := func(guid, reason string) { badGUID[guid] = append(badGUID[guid], reason) }
		for i, raw := range co.Employees {
			var r employeeRec
			if err := json.Unmarshal(raw, &r); err != nil {
				snap.Rejected = append(snap.Rejected, hr.Rejection{EmployeeID: vendorhttp.Field(raw, "employeeId"), Source: SourceName,
					Reason: fmt.Sprintf("employee record %d: %v", i+1, err)})
				continue
			}
			num := string(r.EmployeeBasicInfo.EmployeeNumber)
			if num == "" {
				snap.Rejected = append(snap.Rejected, hr.Rejection{EmployeeID: string(r.EmployeeID), Source: SourceName,
					Reason: fmt.Sprintf("employee record %d: no employeeNumber", i+1)})
				continue
			}
			guidToNumber[string(r.EmployeeID)] = num
			if byNumber[num] != nil {
				byNumber[num].bad = append(byNumber[num].bad, "employee number used twice")
				continue
			}
			b := r.EmployeeBasicInfo
			byNumber[num] = &entry{guid: string(r.EmployeeID), mail: strings.ToLower(string(b.BusinessEmail)), e: hr.Employee{
				EmployeeID: num, GivenName: string(b.FirstName), Prefix: string(b.Prefix), FamilyName: string(b.LastName),
				NameUsage: hr.NameUsageOwn, WorkEmail: string(b.BusinessEmail)}}
			order = append(order, num)
		}
		emps := decodeHistory[employmentItem](co.Employments, "employments", mark)
		funcs := decodeHistory[functionItem](co.Functions, "functions", mark)
		depts := decodeHistory[departmentItem](co.Departments, "departments", mark)
		mgrs := decodeHistory[managerItem](co.Managers, "managers", mark)
		for guid, num := range guidToNumber {
			en := byNumber[num]
			en.bad = append(en.bad, badGUID[guid]...)
			f, _ := latest(funcs[guid], func(x functionItem) string { return string(x.StartDate) + string(x.CreatedAt) })
			d, _ := latest(depts[guid], func(x departmentItem) string { return string(x.StartDate) + string(x.CreatedAt) })
			if m, ok := latest(mgrs[guid], func(x managerItem) string { return string(x.StartDate) + string(x.CreatedAt) }); ok {
				en.mgr = &m
			}
			for _, it := range emps[guid] {
				start, err := vendorhttp.Day(string(it.StartDate))
				if err != nil || start.IsZero() {
					en.bad = append(en.bad, fmt.Sprintf("employment %s: startDate %q unreadable", it.EmploymentID, string(it.StartDate)))
					continue
				}
				end, err := vendorhttp.EndDay(string(it.EndDate))
				if err != nil {
					en.bad = append(en.bad, fmt.Sprintf("employment %s: endDate: %v", it.EmploymentID, err))
					continue
				}
				id := string(it.EmploymentID)
				if id == "" {
					id = fmt.Sprintf("%s-%d", num, len(en.e.Contracts)+1)
				}
				en.e.Contracts = append(en.e.Contracts, hr.Contract{ID: id, Start: start, End: end,
					JobCode: string(f.Function.Code), JobTitle: string(f.Function.Description),
					Department: string(d.Code), DepartmentName: string(d.Description), Company: co.Name})
			}
		}
		for guid, reasons := range badGUID {
			if _, ok := guidToNumber[guid]; !ok {
				snap.Rejected = append(snap.Rejected, hr.Rejection{EmployeeID: guid, Source: SourceName, Reason: strings.Join(reasons, "; ") + " (no employee record)"})
			}
		}
	}

	// Resolve managers: business e-mail first, then full name.
	byMail := map[string][]string{}
	byName := map[string][]string{}
	for _, num := range order {
		en := byNumber[num]
		if en.mail != "" {
			byMail[en.mail] = append(byMail[en.mail], num)
		}
		key := nameKey(en.e.GivenName, en.e.Prefix, en.e.FamilyName)
		byName[key] = append(byName[key], num)
	}
	for _, num := range order {
		en := byNumber[num]
		if len(en.bad) > 0 {
			snap.Rejected = append(snap.Rejected, hr.Rejection{EmployeeID: num, Source: SourceName, Reason: strings.Join(en.bad, "; ")})
			continue
		}
		if m := en.mgr; m != nil {
			label := strings.TrimSpace(string(m.FirstName) + " " + string(m.LastName))
			var matches []string
			how := "e-mail " + string(m.Email)
			if mail := strings.ToLower(string(m.Email)); mail != "" {
				matches = byMail[mail]
			}
			if len(matches) == 0 {
				how = "name"
				matches = byName[nameKey(string(m.FirstName), "", string(m.LastName))]
			}
			switch len(matches) {
			case 1:
				for i := range en.e.Contracts {
					en.e.Contracts[i].ManagerEmployeeID = matches[0]
				}
			case 0:
				snap.Warnings = append(snap.Warnings, hr.Rejection{EmployeeID: num, Source: SourceName,
					Reason: fmt.Sprintf("manager %q matches no employee by e-mail or name; manager left empty", label)})
			default:
				snap.Warnings = append(snap.Warnings, hr.Rejection{EmployeeID: num, Source: SourceName,
					Reason: fmt.Sprintf("manager %q is ambiguous: %s matches employees %s; manager left empty", label, how, strings.Join(matches, ", "))})
			}
		}
		snap.Employees = append(snap.Employees, en.e)
	}
	sort.SliceStable(snap.Rejected, func(i, j int) bool { return snap.Rejected[i].EmployeeID < snap.Rejected[j].EmployeeID })
	return snap
}

// nameKey normalises a name for matching: lower case, single spaces; a
// prefix inside the last name ("de Vries") matches a separate prefix.
func nameKey(first, prefix, last string) string {
	return strings.Join(strings.Fields(strings.ToLower(first+" "+prefix+" "+last)), " ")
}
