package workflows

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// HR values longer than Entra accepts are shortened before they reach Graph
// (which would refuse the whole update with 400), and the entity says so.
func TestHireShortensOverlongValuesWithAWarning(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 9, 0), 0)
	title := strings.Repeat("Senior ", 22) + "Systeembeheerder" // 170 characters
	jan := person("1001", "Jan", "de", "Vries", contract("1001-1", "2026-03-01", "", "ICT", "F045", title, managerID))
	h.setEmployee(jan)
	h.when(at("2026-03-02", 10, 0), func() {
		u := h.user("jan.devries@contoso.example")
		if u == nil {
			t.Fatal("no account")
		}
		if n := utf8.RuneCountInString(str(u, "jobTitle")); n > 128 || n < 100 {
			t.Errorf("jobTitle sent with %d characters, want it shortened to at most 128", n)
		}
		st := h.state()
		if st.Status != StatusActive {
			t.Errorf("status %s (%s)", st.Status, st.LastError)
		}
		if len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "jobTitle shortened") {
			t.Errorf("warnings %v, want one about the job title", st.Warnings)
		}
	})
	h.run("1001", at("2026-03-02", 11, 0))
}
