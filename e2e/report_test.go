package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/dispatch"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/report"
	"github.com/entralifecycle/engine/workflows"
)

// TestReportPageInChromium provisions a small organisation on the embedded stack (one
// active employee, one pre-hire, one leaver whose exit ran, one employee HR rejects), serves
// the report through the engine's HTTP handler on loopback and loads it in headless Chromium:
// the DOM Chromium rendered must show the figures, and a screenshot is kept as an artifact
// (in $LIFECYCLE_REPORT_ARTIFACTS when set, else the test's temporary directory).
func TestReportPageInChromium(t *testing.T) {
	chromium := findChromium(t)

	e := newLCEnv(t)
	store, err := audit.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	e.acts.Directory = activities.Audited(e.acts.Directory, store)
	e.startWorker()

	const within = 60 * time.Second
	e.put(lcPerson("3001", "Anna", "", "Actief", lcContract("3001-1", e.today.AddDays(-100), nil, "ICT", "F045", "Beheerder", "")))
	e.put(lcPerson("3002", "Bram", "", "Binnenkort", lcContract("3002-1", e.today.AddDays(10), nil, "Sales", "S01", "Verkoper", "")))
	e.put(lcPerson("3003", "Cor", "", "Vertrek", lcContract("3003-1", e.today.AddDays(-200), nil, "Sales", "S01", "Verkoper", "")))
	// A record without a given name: HR rejects it, the report lists the reason.
	e.put(lcPerson("3004", "", "", "Naamloos", lcContract("3004-1", e.today.AddDays(-10), nil, "Sales", "S01", "Verkoper", "")))
	for _, id := range []string{"3001", "3002", "3003"} {
		e.notify(id, "contract-created")
	}
	e.waitState("3001", 1, workflows.EventHire, within, hasStatus(workflows.StatusActive))
	e.waitState("3002", 1, workflows.EventHire, within, hasStatus(workflows.StatusPreHire))
	e.waitState("3003", 1, workflows.EventHire, within, hasStatus(workflows.StatusActive))
	// 3003's contract ended yesterday: the exit runs now, after the leave moment.
	e.edit("3003", func(p *hr.Employee) { p.Contracts[0].End = datePtr(e.today.AddDays(-1)) })
	e.notify("3003", "contract-ended")
	e.waitState("3003", 2, workflows.EventExit, within, hasStatus(workflows.StatusLeft))

	ents := &report.Temporal{Client: e.c, Namespace: e.stack.Namespace()}
	// Visibility is eventually consistent: wait until it lists what the entities say.
	eventually(t, within, func() error {
		list, err := ents.Entities(t.Context())
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, en := range list {
			got[en.EmployeeID] = en.Status
		}
		if got["3001"] != "active" || got["3002"] != "pre-hire" || got["3003"] != "left" {
			return fmt.Errorf("visibility lists %v", got)
		}
		return nil
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const uiURL = "http://127.0.0.1:8233"
	page := report.New(report.Sources{Entities: ents, Audit: store, HR: e.acts.HR},
		report.WithListenAddr(ln.Addr().String()), report.WithLocation(e.loc), report.WithTemporalUI(uiURL, e.stack.Namespace()))
	h, err := dispatch.HTTPHandler(e.d, dispatch.HTTPOptions{Secret: []byte("report-test-secret-0123456789"), Report: page})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	url := "http://" + ln.Addr().String() + "/report"

	dom := runChromium(t, chromium, "--dump-dom", url)
	for id, want := range map[string]string{
		"fig-active": "1", "fig-prehire": "1", "fig-left": "1", "fig-entities": "3", "fig-attention": "0",
		"fig-rejected": "1", "fig-exits": "1", "hr-employees": "5", // the two managers newLCEnv adds, and 3001-3003
	} {
		if got := domFigure(dom, id); got != want {
			t.Errorf("rendered %s = %q, want %q", id, got, want)
		}
	}
	// The exit ran about a day after the leave moment (17:00 yesterday): the worst delay is
	// in hours or a day, and the chart marks it.
	if got := domFigure(dom, "fig-worst"); !regexp.MustCompile(`^\d+(h\d\dm|d\d\dh)$`).MatchString(got) {
		t.Errorf("worst delay %q, want hours or days", got)
	}
	for _, want := range []string{
		`<svg id="delay-chart"`,
		uiURL + "/namespaces/" + e.stack.Namespace() + "/workflows/employee%2F3003",
		"Bram Binnenkort", // the pre-hire's start in the coming 30 days
		"account.disabled", "3004",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}

	// The audit search with its CSV export, through the same server.
	dom = runChromium(t, chromium, "--dump-dom", url+"?employee=3003&since="+e.today.AddDays(-1).String())
	if got := domFigure(dom, "record-count"); got == "" || got == "0" {
		t.Errorf("audit search for 3003 shows %q records", got)
	}
	res, err := http.Get("http://" + ln.Addr().String() + "/report/audit.csv?employee=3003")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Errorf("CSV export: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}

	dir := os.Getenv("LIFECYCLE_REPORT_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "report.png")
	runChromium(t, chromium, "--screenshot="+shot, "--window-size=1366,1800", "--hide-scrollbars", url)
	fi, err := os.Stat(shot)
	if err != nil || fi.Size() < 10_000 {
		t.Fatalf("screenshot %s: %v (size %d)", shot, err, sizeOf(fi))
	}
	t.Logf("report screenshot: %s (%d bytes)", shot, fi.Size())
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return 0
	}
	return fi.Size()
}

// findChromium returns Chromium's path; without it the test skips, or fails under CI=true.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install chromium); CI=true requires it")
	}
	t.Skip("chromium is not installed: apt-get install chromium to run the browser test")
	return ""
}

// runChromium runs headless Chromium with a throwaway profile and returns its stdout.
func runChromium(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) || ctx.Err() != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
		}
		t.Fatal(err)
	}
	return out.String()
}

// domFigure is the text of the element with the id in Chromium's DOM dump.
func domFigure(dom, id string) string {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>\s*([^<]*?)\s*<`).FindStringSubmatch(dom)
	if m == nil {
		return ""
	}
	return m[1]
}
