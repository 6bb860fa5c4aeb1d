package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/entralifecycle/engine/internal/audit"
)

//go:embed page.html
var files embed.FS

// pageLimit caps the audit records shown on the page; the CSV export has csvLimit.
const (
	pageLimit = 500
	csvLimit  = 100000
	// defaultSearchDays is how far back the page shows changes when no search is given.
	defaultSearchDays = 7
)

var pageTmpl = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"dur": fmtDuration,
}).ParseFS(files, "page.html"))

// view is what the template renders.
type view struct {
	Generated   string
	Zone        string
	Base        string
	Errors      []string
	HasEntities bool
	Glance      Glance
	Attention   []AttentionRow
	Held        []HeldRun
	Upcoming    []UpcomingRow
	HasAudit    bool
	Search      Search
	Problems    []string
	Records     []audit.Record
	RecordsNote string
	Holders     []audit.Holding
	HoldersOf   string
	CSVURL      string
	Delay       Delay
	HR          *hrView
	UI          bool
	link        func(string) string
	loc         *time.Location
}

// hrView is the HR source health section.
type hrView struct {
	ReadAt    string
	TookMS    int64
	Employees int
	Rejected  int
	Warnings  int
	Rows      []rejectedRow
	Error     string
	ErrorAt   string
}

type rejectedRow struct{ EmployeeID, ReplacementID, Source, Reason string }

// Link is the Temporal UI address of a workflow ("" without a UI).
func (v *view) Link(workflowID string) string { return v.link(workflowID) }

// A renders text as a link to the workflow in the Temporal UI (plain text without a UI).
func (v *view) A(workflowID, text string) template.HTML {
	t := template.HTMLEscapeString(text)
	l := v.link(workflowID)
	if l == "" {
		return template.HTML(t)
	}
	return template.HTML(`<a href="` + template.HTMLEscapeString(l) + `">` + t + `</a>`)
}

// What is what a record acted on: the target's name (or id), or the attributes changed.
func (v *view) What(r audit.Record) string {
	switch {
	case r.Target.Name != "":
		return r.Target.Name
	case len(r.Changes) > 0:
		return audit.FormatChanges(r.Changes)
	}
	return r.Target.ID
}

// Time formats a moment in the report's zone.
func (v *view) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(v.loc).Format("2006-01-02 15:04")
}

// Day formats a moment's day in the report's zone.
func (v *view) Day(t time.Time) string { return t.In(v.loc).Format("Mon 2006-01-02") }

func (h *Handler) link(workflowID string) string {
	if h.uiURL == "" || workflowID == "" {
		return ""
	}
	return h.uiURL + "/namespaces/" + url.PathEscape(h.namespace) + "/workflows/" + url.PathEscape(workflowID)
}

func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := h.now()
	v := &view{Generated: now.In(h.loc).Format("2006-01-02 15:04:05"), Zone: h.loc.String(), Base: h.base,
		link: h.link, loc: h.loc, UI: h.uiURL != ""}

	ents, held, errs := h.entities(ctx)
	v.Errors = append(v.Errors, errs...)
	v.HasEntities = h.src.Entities != nil
	v.Glance, v.Attention = computeGlance(ents, held, now)
	v.Held = held

	read := h.snapshot(ctx)
	if read != nil {
		hv := &hrView{}
		if read.err != nil {
			hv.Error, hv.ErrorAt = read.err.Error(), v.Time(read.errAt)
		}
		if !read.at.IsZero() {
			hv.ReadAt, hv.TookMS = v.Time(read.at), read.tookMS
			hv.Employees, hv.Rejected, hv.Warnings = len(read.snap.Employees), len(read.snap.Rejected), len(read.snap.Warnings)
			for _, rj := range read.snap.Rejected {
				hv.Rows = append(hv.Rows, rejectedRow{rj.EmployeeID, rj.ReplacementID, rj.Source, rj.Reason})
			}
			v.Glance.HRRejected = hv.Rejected
			v.Upcoming = computeUpcoming(ents, &read.snap, now, h.loc)
		}
		v.HR = hv
	}
	if v.Upcoming == nil {
		v.Upcoming = computeUpcoming(ents, nil, now, h.loc)
	}

	if h.src.Audit != nil {
		v.HasAudit = true
		h.auditSections(r, v, now)
	}

	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, v); err != nil {
		h.logger.Error("report: render", "error", err)
		http.Error(w, "render the report: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// auditSections fills the audit search and the deprovisioning delay.
func (h *Handler) auditSections(r *http.Request, v *view, now time.Time) {
	ctx := r.Context()
	s, f, problems := parseSearch(r.URL.Query(), h.loc)
	v.Search, v.Problems = s, problems
	if len(problems) == 0 {
		if !s.Active {
			f.Since = now.AddDate(0, 0, -defaultSearchDays)
			v.RecordsNote = fmt.Sprintf("Changes of the last %d days.", defaultSearchDays)
		}
		f.Limit = csvLimit
		recs, err := h.src.Audit.Query(ctx, f)
		if err != nil {
			h.logger.Warn("report: audit query", "error", err)
			v.Errors = append(v.Errors, "audit search: "+err.Error())
		}
		if len(recs) > pageLimit {
			v.RecordsNote = strings.TrimSpace(v.RecordsNote + fmt.Sprintf(" Showing the latest %d of %d; the CSV has them all.", pageLimit, len(recs)))
			recs = recs[len(recs)-pageLimit:]
		}
		slices.Reverse(recs)
		v.Records = recs
		q := r.URL.Query()
		v.CSVURL = h.base + "/audit.csv"
		if enc := q.Encode(); enc != "" {
			v.CSVURL += "?" + enc
		}
		if f.TargetKind != "" {
			holders, err := h.src.Audit.Holders(ctx, f.TargetKind, f.TargetName, now)
			if err != nil {
				v.Errors = append(v.Errors, "holders: "+err.Error())
			}
			v.Holders, v.HoldersOf = holders, f.TargetKind+" "+f.TargetName
		}
	}
	recs, err := h.src.Audit.Query(ctx, audit.Filter{Actions: []audit.Action{audit.AccountDisabled, audit.AccountUpdated}, Since: now.Add(-DelayWindow)})
	if err != nil {
		h.logger.Warn("report: audit query for delays", "error", err)
		v.Errors = append(v.Errors, "deprovisioning delay: "+err.Error())
	}
	v.Delay = computeDelay(recs)
}

func (h *Handler) serveCSV(w http.ResponseWriter, r *http.Request) {
	if h.src.Audit == nil {
		http.Error(w, "no audit store configured", http.StatusNotFound)
		return
	}
	_, f, problems := parseSearch(r.URL.Query(), h.loc)
	if len(problems) > 0 {
		http.Error(w, strings.Join(problems, "\n"), http.StatusBadRequest)
		return
	}
	f.Limit = csvLimit
	recs, err := h.src.Audit.Query(r.Context(), f)
	if err != nil {
		h.logger.Warn("report: audit export", "error", err)
		http.Error(w, "audit export: "+err.Error(), http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := audit.WriteCSV(&buf, recs); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="audit-%s.csv"`, h.now().In(h.loc).Format("20060102-150405")))
	_, _ = w.Write(buf.Bytes())
}

// fmtDuration renders a delay compactly: 45s, 12m, 3h05m, 2d04h.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%02dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}
