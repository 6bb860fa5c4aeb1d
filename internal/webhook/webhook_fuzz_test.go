package webhook

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/entralifecycle/engine/internal/hr"
)

// FuzzEvents sends correctly signed arbitrary bodies (and, when sign is
// false, arbitrary signature headers) to the handler, with and without
// embedded records accepted. It must never panic and never answer 5xx (the
// notifier always succeeds here, so a 5xx would be the handler's fault);
// every answer is JSON; an accepted event carries a printable-ASCII id and,
// unless records are accepted, no record. Seeds are in
// testdata/fuzz/FuzzEvents.
func FuzzEvents(f *testing.F) {
	f.Add([]byte(`{"employeeId":"1001","source":"afas","reason":"contract-changed"}`), true, "", "", false)
	f.Fuzz(func(t *testing.T, body []byte, sign bool, ts, sig string, acceptRecords bool) {
		rec := &recorder{}
		h := newServer(rec, WithEmbeddedRecords(acceptRecords))
		req := httptest.NewRequest(http.MethodPost, EventsPath, strings.NewReader(string(body)))
		if sign {
			ts, sig = Sign(secret, now, body)
		}
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d for body %q: %s", w.Code, body, w.Body)
		}
		var answer map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil {
			t.Fatalf("answer %q is not JSON: %v", w.Body, err)
		}
		if w.Code != http.StatusAccepted {
			if answer["error"] == "" || len(rec.events) != 0 {
				t.Fatalf("refusal %d without error or with delivery: %s %+v", w.Code, w.Body, rec.events)
			}
			return
		}
		if len(rec.events) != 1 {
			t.Fatalf("202 with %d deliveries", len(rec.events))
		}
		ev := rec.events[0]
		if !hr.ValidID(ev.EmployeeID) || answer["workflowId"] != "employee/"+ev.EmployeeID {
			t.Fatalf("accepted id %q, answer %v", ev.EmployeeID, answer)
		}
		if ev.Employee != nil && (!acceptRecords || ev.Employee.EmployeeID != ev.EmployeeID) {
			t.Fatalf("record delivered: accept=%v record id %q event id %q", acceptRecords, ev.Employee.EmployeeID, ev.EmployeeID)
		}
	})
}
