// Package nmbrs is the HR connector for Visma Nmbrs through its REST API.
//
// Wire format (developer.nmbrs.com; the flow of
// https://support.nmbrs.com/hc/en-us/articles/11510824844050-Basic-HR-employee-synchronization;
// shapes as handled by the BrynQ Nmbrs SDK, PyPI brynq-sdk-nmbrs):
// "Authorization: Bearer <token>" plus "X-Subscription-Key"; GET
// {base}/companies (an accountant's multi-debtor token answers 403
// ForbiddenMultiDebtor there: the companies are then listed per debtor at
// /debtors/{id}/companies), then per company the employee listing
// /companies/{id}/employees/personalinfo (name, employee number, work
// address at contactInfo.businessEmail) and the history lists
// /companies/{id}/employees/{employments,functions,departments,managers}.
// Function and department history entries are flat ({"code","description",
// "period":{…}}). List replies are {"data":[…],"pagination":{…}} paged with
// pageNumber / pageSize; the last page is the one without
// pagination.nextPage (totalPages is not relied on).
//
// Access tokens are OAuth 2.0 authorization-code tokens from
// identityservice.nmbrs.com that expire; the connector refreshes them with
// the refresh-token grant. Nmbrs rotates the refresh token on every refresh,
// so the new one is written to LIFECYCLE_NMBRS_REFRESH_TOKEN_FILE.
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
//	LIFECYCLE_NMBRS_BASE_URL            BaseURL (default https://api.nmbrsapp.com/api)
//	LIFECYCLE_NMBRS_SUBSCRIPTION_KEY    SubscriptionKey (required)
//	LIFECYCLE_NMBRS_CLIENT_ID           ClientID of the app registered with Nmbrs (refresh-token flow)
//	LIFECYCLE_NMBRS_CLIENT_SECRET       ClientSecret
//	LIFECYCLE_NMBRS_REFRESH_TOKEN       RefreshToken: the first refresh token (from the sign-in)
//	LIFECYCLE_NMBRS_REFRESH_TOKEN_FILE  RefreshTokenFile: where the current (rotating) refresh token is kept
//	LIFECYCLE_NMBRS_TOKEN_URL           TokenURL (default https://identityservice.nmbrs.com/connect/token)
//	LIFECYCLE_NMBRS_TOKEN               Token: a static bearer access token instead (expires; for tests)
//	LIFECYCLE_NMBRS_COMPANY_IDS         CompanyIDs, comma-separated (default: every company the token sees)
//	LIFECYCLE_NMBRS_DEBTOR_IDS          DebtorIDs, comma-separated: list companies per debtor (multi-debtor tokens)
//	LIFECYCLE_NMBRS_PAGE_SIZE           PageSize (default 100)
type Config struct {
	BaseURL          string
	Token            string
	SubscriptionKey  string
	ClientID         string
	ClientSecret     string
	RefreshToken     string
	RefreshTokenFile string
	TokenURL         string
	CompanyIDs       []string
	DebtorIDs        []string
	PageSize         int
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
var _ hr.WriteBackNeeder = (*Source)(nil)

// New checks cfg and returns a Source.
func New(cfg Config, opts ...Option) (*Source, error) {
	if cfg.SubscriptionKey == "" {
		return nil, errors.New("nmbrs: LIFECYCLE_NMBRS_SUBSCRIPTION_KEY must be set")
	}
	refreshing := cfg.ClientID != "" || cfg.ClientSecret != "" || cfg.RefreshToken != "" || cfg.RefreshTokenFile != ""
	switch {
	case refreshing && (cfg.ClientID == "" || cfg.ClientSecret == "" || (cfg.RefreshToken == "" && cfg.RefreshTokenFile == "")):
		return nil, errors.New("nmbrs: the refresh-token flow needs LIFECYCLE_NMBRS_CLIENT_ID, LIFECYCLE_NMBRS_CLIENT_SECRET and LIFECYCLE_NMBRS_REFRESH_TOKEN or LIFECYCLE_NMBRS_REFRESH_TOKEN_FILE")
	case !refreshing && cfg.Token == "":
		return nil, errors.New("nmbrs: no credentials: set LIFECYCLE_NMBRS_CLIENT_ID, LIFECYCLE_NMBRS_CLIENT_SECRET and LIFECYCLE_NMBRS_REFRESH_TOKEN(_FILE), or a static LIFECYCLE_NMBRS_TOKEN")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.nmbrsapp.com/api"
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	for name, v := range map[string]string{"LIFECYCLE_NMBRS_BASE_URL": cfg.BaseURL, "LIFECYCLE_NMBRS_TOKEN_URL": cfg.TokenURL} {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("nmbrs: %s %q is not an http(s) URL", name, v)
		}
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	s := &Source{cfg: cfg, http: http.DefaultClient}
	for _, o := range opts {
		o(s)
	}
	bearer := func(context.Context) (string, error) { return cfg.Token, nil }
	hint := "LIFECYCLE_NMBRS_TOKEN and LIFECYCLE_NMBRS_SUBSCRIPTION_KEY"
	if refreshing {
		r := &refresher{tokenURL: cfg.TokenURL, clientID: cfg.ClientID, clientSecret: cfg.ClientSecret, file: cfg.RefreshTokenFile,
			refresh: cfg.RefreshToken, http: s.http, now: time.Now}
		bearer = r.token
		hint = "LIFECYCLE_NMBRS_SUBSCRIPTION_KEY and the scopes granted at sign-in (employee.info.read, employee.employment.read, employee.orgstructure.read, company.info.read)"
	}
	s.cl = &vendorhttp.Client{HTTP: s.http, Vendor: "nmbrs", Sleep: s.sleep, AuthHint: hint,
		Auth: func(ctx context.Context, r *http.Request) error {
			t, err := bearer(ctx)
			if err != nil {
				return err
			}
			r.Header.Set("Authorization", "Bearer "+t)
			r.Header.Set("X-Subscription-Key", cfg.SubscriptionKey)
			return nil
		}}
	return s, nil
}

type page struct {
	Data       json.RawMessage `json:"data"`
	Pagination struct {
		PageNumber int             `json:"pageNumber"`
		TotalPages int             `json:"totalPages"`
		NextPage   json.RawMessage `json:"nextPage"`
	} `json:"pagination"`
}

// hasNext reports whether a nextPage member is present and not null or empty.
func hasNext(raw json.RawMessage) bool {
	t := strings.TrimSpace(string(raw))
	return t != "" && t != "null" && t != `""`
}

// maxPages guards against a server that never stops answering nextPage.
const maxPages = 100000

// list reads every page of a list endpoint. The last page is the one
// without pagination.nextPage. A failure after the first page fails the
// whole read as untrusted: a partial list must never pass for a full one.
func (s *Source) list(ctx context.Context, path string) ([]json.RawMessage, error) {
	var all []json.RawMessage
	for n := 1; ; n++ {
		q := url.Values{"pageNumber": {strconv.Itoa(n)}, "pageSize": {strconv.Itoa(s.cfg.PageSize)}}
		var p page
		if err := s.cl.Get(ctx, s.cfg.BaseURL+path+"?"+q.Encode(), &p); err != nil {
			if n > 1 {
				return nil, fmt.Errorf("%w (page %d of %s failed after %d records)", hr.Untrusted(SourceName, "read %s", path), n, path, len(all))
			}
			return nil, fmt.Errorf("nmbrs: read %s: %w", path, err)
		}
		rows, err := vendorhttp.DecodeRows(p.Data)
		if err != nil {
			return nil, hr.Untrusted(SourceName, "%s page %d: %v", path, n, err)
		}
		all = append(all, rows...)
		if !hasNext(p.Pagination.NextPage) {
			return all, nil
		}
		if n >= maxPages {
			return nil, hr.Untrusted(SourceName, "%s: paging does not end after %d pages", path, n)
		}
	}
}

// companies lists the companies the token sees. A multi-debtor
// (accountant) token is refused on /companies with 403 ForbiddenMultiDebtor;
// the companies are then read per debtor: the configured DebtorIDs, or
// every debtor from /debtors.
func (s *Source) companies(ctx context.Context) ([]string, map[string]string, error) {
	names := map[string]string{}
	var ids []string
	add := func(rows []json.RawMessage) {
		for _, raw := range rows {
			var c struct {
				CompanyID vendorhttp.Text `json:"companyId"`
				ID        vendorhttp.Text `json:"id"`
				Name      vendorhttp.Text `json:"name"`
			}
			if json.Unmarshal(raw, &c) != nil {
				continue
			}
			id := string(c.CompanyID)
			if id == "" {
				id = string(c.ID)
			}
			if id != "" {
				if _, seen := names[id]; !seen {
					ids = append(ids, id)
				}
				names[id] = string(c.Name)
			}
		}
	}
	debtors := s.cfg.DebtorIDs
	if len(debtors) == 0 {
		rows, err := s.list(ctx, "/companies")
		if err == nil {
			add(rows)
			return ids, names, nil
		}
		var ae *vendorhttp.AuthError
		if !errors.As(err, &ae) || ae.Status != http.StatusForbidden || !strings.Contains(ae.Body, "ForbiddenMultiDebtor") {
			return nil, nil, err
		}
		drows, derr := s.list(ctx, "/debtors")
		if derr != nil {
			return nil, nil, fmt.Errorf("nmbrs: the token serves several debtors (403 ForbiddenMultiDebtor on /companies) and /debtors could not be read: %w; set LIFECYCLE_NMBRS_DEBTOR_IDS", derr)
		}
		for _, raw := range drows {
			var d struct {
				DebtorID vendorhttp.Text `json:"debtorId"`
				ID       vendorhttp.Text `json:"id"`
			}
			if json.Unmarshal(raw, &d) == nil {
				if id := string(d.DebtorID); id != "" {
					debtors = append(debtors, id)
				} else if id := string(d.ID); id != "" {
					debtors = append(debtors, id)
				}
			}
		}
	}
	for _, d := range debtors {
		rows, err := s.list(ctx, "/debtors/"+url.PathEscape(d)+"/companies")
		if err != nil {
			return nil, nil, err
		}
		add(rows)
	}
	return ids, names, nil
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
		var err error
		if ids, names, err = s.companies(ctx); err != nil {
			return hr.Snapshot{}, err
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
		}{{"/personalinfo", &c.Employees}, {"/employments", &c.Employments}, {"/functions", &c.Functions}, {"/departments", &c.Departments}, {"/managers", &c.Managers}} {
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

// NeedsWriteBack is always false: write-back is not offered.
func (s *Source) NeedsWriteBack(hr.WorkContact, hr.WorkContact) bool { return false }

type text = vendorhttp.Text

// period is the payroll period a history entry applies from.
type period struct {
	Year   int `json:"year"`
	Period int `json:"period"`
}

func (p *period) key() string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf("%04d-%03d", p.Year, p.Period)
}

// personalInfo is one version of an employee's personal data from
// /companies/{id}/employees/personalinfo.
type personalInfo struct {
	BasicInfo struct {
		EmployeeNumber text `json:"employeeNumber"`
		FirstName      text `json:"firstName"`
		Nickname       text `json:"nickName"`
		Prefix         text `json:"prefix"`
		Initials       text `json:"initials"`
		LastName       text `json:"lastName"`
		EmployeeType   text `json:"employeeType"`
	} `json:"basicInfo"`
	ContactInfo struct {
		BusinessEmail text `json:"businessEmail"`
	} `json:"contactInfo"`
	Period    *period `json:"period"`
	CreatedAt text    `json:"createdAt"`
}

// employeeRec is one record of the personalinfo listing: an employee and
// the versions of their personal data.
type employeeRec struct {
	EmployeeID    text           `json:"employeeId"`
	PersonalInfos []personalInfo `json:"personalInfos"`
}

type employmentItem struct {
	EmploymentID text `json:"employmentId"`
	StartDate    text `json:"startDate"`
	EndDate      text `json:"endDate"`
}

// functionItem is a flat function history entry.
type functionItem struct {
	Code        text    `json:"code"`
	Description text    `json:"description"`
	StartDate   text    `json:"startDate"`
	Period      *period `json:"period"`
	CreatedAt   text    `json:"createdAt"`
}

type departmentItem struct {
	Code        text    `json:"code"`
	Description text    `json:"description"`
	StartDate   text    `json:"startDate"`
	Period      *period `json:"period"`
	CreatedAt   text    `json:"createdAt"`
}

type managerItem struct {
	FirstName text    `json:"firstName"`
	LastName  text    `json:"lastName"`
	Email     text    `json:"email"`
	StartDate text    `json:"startDate"`
	Period    *period `json:"period"`
	CreatedAt text    `json:"createdAt"`
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
	b := &builder{byNumber: map[string]*entry{}}
	for _, co := range companies {
		b.readCompany(co)
	}
	b.assemble()
	sort.SliceStable(b.snap.Rejected, func(i, j int) bool { return b.snap.Rejected[i].EmployeeID < b.snap.Rejected[j].EmployeeID })
	return b.snap
}

// entry is one employee being built, by employee number.
type entry struct {
	e     hr.Employee
	guid  string
	mail  string
	bad   []string
	mgr   *managerItem
	order int
}

// builder holds what Build has read so far.
type builder struct {
	snap     hr.Snapshot
	byNumber map[string]*entry
	order    []string // employee numbers in reading order
}

// readCompany reads one company's employees and their histories.
func (b *builder) readCompany(co Company) {
	badGUID := map[string][]string{}
	mark := func(guid, reason string) { badGUID[guid] = append(badGUID[guid], reason) }
	guidToNumber := b.readEmployees(co.Employees)
	emps := decodeHistory[employmentItem](co.Employments, "employments", mark)
	funcs := decodeHistory[functionItem](co.Functions, "functions", mark)
	depts := decodeHistory[departmentItem](co.Departments, "departments", mark)
	mgrs := decodeHistory[managerItem](co.Managers, "managers", mark)
	for guid, num := range guidToNumber {
		en := b.byNumber[num]
		en.bad = append(en.bad, badGUID[guid]...)
		f, _ := latest(funcs[guid], func(x functionItem) string { return x.Period.key() + string(x.StartDate) + string(x.CreatedAt) })
		d, _ := latest(depts[guid], func(x departmentItem) string { return x.Period.key() + string(x.StartDate) + string(x.CreatedAt) })
		if m, ok := latest(mgrs[guid], func(x managerItem) string { return x.Period.key() + string(x.StartDate) + string(x.CreatedAt) }); ok {
			en.mgr = &m
		}
		for _, it := range emps[guid] {
			en.addContract(it, num, f, d, co.Name)
		}
	}
	for guid, reasons := range badGUID {
		if _, ok := guidToNumber[guid]; !ok {
			b.snap.Rejected = append(b.snap.Rejected, hr.Rejection{EmployeeID: guid, Source: SourceName, Reason: strings.Join(reasons, "; ") + " (no employee record)"})
		}
	}
}

// readEmployees reads a company's employee records (their latest personal
// info) and maps their GUIDs to employee numbers.
func (b *builder) readEmployees(raws []json.RawMessage) map[string]string {
	guidToNumber := map[string]string{}
	for i, raw := range raws {
		var r employeeRec
		if err := json.Unmarshal(raw, &r); err != nil {
			b.snap.Rejected = append(b.snap.Rejected, hr.Rejection{EmployeeID: vendorhttp.Field(raw, "employeeId"), Source: SourceName,
				Reason: fmt.Sprintf("employee record %d: %v", i+1, err)})
			continue
		}
		info, ok := latest(r.PersonalInfos, func(x personalInfo) string { return x.Period.key() + string(x.CreatedAt) })
		num := string(info.BasicInfo.EmployeeNumber)
		if !ok || num == "" {
			b.snap.Rejected = append(b.snap.Rejected, hr.Rejection{EmployeeID: string(r.EmployeeID), Source: SourceName,
				Reason: fmt.Sprintf("employee record %d: no employeeNumber", i+1)})
			continue
		}
		guidToNumber[string(r.EmployeeID)] = num
		if b.byNumber[num] != nil {
			b.byNumber[num].bad = append(b.byNumber[num].bad, "employee number used twice")
			continue
		}
		bi := info.BasicInfo
		mail := string(info.ContactInfo.BusinessEmail)
		b.byNumber[num] = &entry{guid: string(r.EmployeeID), mail: strings.ToLower(mail), e: hr.Employee{
			EmployeeID: num, GivenName: string(bi.FirstName), PreferredName: string(bi.Nickname), Prefix: string(bi.Prefix),
			FamilyName: string(bi.LastName), NameUsage: hr.NameUsageOwn, WorkEmail: mail}}
		b.order = append(b.order, num)
	}
	return guidToNumber
}

// addContract adds one employment as a contract with the employee's latest
// function and department; unreadable dates are noted in bad.
func (en *entry) addContract(it employmentItem, num string, f functionItem, d departmentItem, company string) {
	start, err := vendorhttp.Day(string(it.StartDate))
	if err != nil || start.IsZero() {
		en.bad = append(en.bad, fmt.Sprintf("employment %s: startDate %q unreadable", it.EmploymentID, string(it.StartDate)))
		return
	}
	end, err := vendorhttp.EndDay(string(it.EndDate))
	if err != nil {
		en.bad = append(en.bad, fmt.Sprintf("employment %s: endDate: %v", it.EmploymentID, err))
		return
	}
	id := string(it.EmploymentID)
	if id == "" {
		id = fmt.Sprintf("%s-%d", num, len(en.e.Contracts)+1)
	}
	en.e.Contracts = append(en.e.Contracts, hr.Contract{ID: id, Start: start, End: end,
		JobCode: string(f.Code), JobTitle: string(f.Description),
		Department: string(d.Code), DepartmentName: string(d.Description), Company: company})
}

// assemble rejects the employees with problems and resolves the others'
// managers: business e-mail first, then full name.
func (b *builder) assemble() {
	byMail := map[string][]string{}
	byName := map[string][]string{}
	for _, num := range b.order {
		en := b.byNumber[num]
		if en.mail != "" {
			byMail[en.mail] = append(byMail[en.mail], num)
		}
		key := nameKey(en.e.GivenName, en.e.Prefix, en.e.FamilyName)
		byName[key] = append(byName[key], num)
	}
	for _, num := range b.order {
		en := b.byNumber[num]
		if len(en.bad) > 0 {
			b.snap.Rejected = append(b.snap.Rejected, hr.Rejection{EmployeeID: num, Source: SourceName, Reason: strings.Join(en.bad, "; ")})
			continue
		}
		if m := en.mgr; m != nil {
			b.resolveManager(num, en, m, byMail, byName)
		}
		b.snap.Employees = append(b.snap.Employees, en.e)
	}
}

// resolveManager sets the contracts' manager when m matches exactly one
// employee, else reports a warning.
func (b *builder) resolveManager(num string, en *entry, m *managerItem, byMail, byName map[string][]string) {
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
		b.snap.Warnings = append(b.snap.Warnings, hr.Rejection{EmployeeID: num, Source: SourceName,
			Reason: fmt.Sprintf("manager %q matches no employee by e-mail or name; manager left empty", label)})
	default:
		b.snap.Warnings = append(b.snap.Warnings, hr.Rejection{EmployeeID: num, Source: SourceName,
			Reason: fmt.Sprintf("manager %q is ambiguous: %s matches employees %s; manager left empty", label, how, strings.Join(matches, ", "))})
	}
}

// nameKey normalises a name for matching: lower case, single spaces; a
// prefix inside the last name ("de Vries") matches a separate prefix.
func nameKey(first, prefix, last string) string {
	return strings.Join(strings.Fields(strings.ToLower(first+" "+prefix+" "+last)), " ")
}
