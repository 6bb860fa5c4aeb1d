package graphsim

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// TestConcurrentUse drives writers, readers, faults and stats at once; run
// with -race.
func TestConcurrentUse(t *testing.T) {
	e, ids := seeded(t)
	staff := ids.Groups["All Staff"]
	const workers, perWorker = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*4)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				nick := fmt.Sprintf("w%d-u%d", w, i)
				r := e.do("POST", "/users", newUserBody(nick))
				if r.status != http.StatusCreated {
					errs <- fmt.Errorf("create %s: %d %s", nick, r.status, r.raw)
					continue
				}
				id := r.body["id"].(string)
				if r := e.do("POST", "/groups/"+staff+"/members/$ref", ref(e, "directoryObjects", id)); r.status != http.StatusNoContent {
					errs <- fmt.Errorf("add member: %d", r.status)
				}
				if r := e.do("PATCH", "/users/"+id, map[string]any{"jobTitle": "t"}); r.status != http.StatusNoContent {
					errs <- fmt.Errorf("patch: %d", r.status)
				}
				if r := e.do("GET", "/users?$filter="+url.QueryEscape("mailNickname eq '"+nick+"'"), nil); r.status != http.StatusOK || len(r.values()) != 1 {
					errs <- fmt.Errorf("filter %s: %d %s", nick, r.status, r.raw)
				}
				if i%5 == 0 {
					e.sim.InjectFault(Fault{Path: "/subscribedSkus", Status: 503})
					e.do("GET", "/subscribedSkus", nil)
					_ = e.sim.Stats()
					e.do("GET", "/users/delta", nil)
					e.do("GET", "/groups/"+staff+"/members?$top=50", nil)
				}
			}
		}(w)
	}
	// The same UPN created concurrently: exactly one wins.
	var created int
	var mu sync.Mutex
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := e.do("POST", "/users", newUserBody("contested")); r.status == http.StatusCreated {
				mu.Lock()
				created++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if created != 1 {
		t.Errorf("contested UPN created %d times", created)
	}
	if n := e.sim.UserCount(); n != 3+workers*perWorker+1 {
		t.Errorf("users = %d", n)
	}
	if n := len(e.sim.GroupMembers("All Staff")); n != workers*perWorker {
		t.Errorf("members = %d", n)
	}
	if st := e.sim.Stats(); st.ByRoute["POST /users"] != workers*perWorker+workers {
		t.Errorf("POST /users counted %d", st.ByRoute["POST /users"])
	}
}
