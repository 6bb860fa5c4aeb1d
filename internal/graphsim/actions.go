package graphsim

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// revokeSignInSessions serves POST /users/{id}/revokeSignInSessions
// (https://learn.microsoft.com/graph/api/user-revokesigninsessions).
func (s *Sim) revokeSignInSessions(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	u.revocations++
	s.t.touch('u', u.id)
	return c.jsonResponse(http.StatusOK, map[string]any{
		"@odata.context": c.base + "/$metadata#Edm.Boolean",
		"value":          true,
	})
}

// TAP policy lifetime bounds: a policy's minimum and maximum lie between 10
// minutes and 30 days
// (https://learn.microsoft.com/graph/api/resources/temporaryaccesspassauthenticationmethodconfiguration#properties).
const (
	tapMinLifetime = 10
	tapMaxLifetime = 43200
)

// tapAlphabet avoids look-alike characters, as real passes do.
const tapAlphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789+#%"

func newTAPValue(length int) string {
	b := make([]byte, length)
	if _, err := rand.Read(b); err != nil {
		panic("graphsim: crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = tapAlphabet[int(b[i])%len(tapAlphabet)]
	}
	return string(b)
}

func (s *Sim) renderTAP(c *call, t *tapMethod, withPass bool) map[string]any {
	usable := !c.now.Before(t.start) && c.now.Before(t.start.Add(time.Duration(t.lifetime)*time.Minute))
	reason := "EnabledByPolicy"
	switch {
	case c.now.Before(t.start):
		reason = "NotYetValid"
	case !usable:
		reason = "Expired"
	}
	m := map[string]any{
		"@odata.type":           "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
		"id":                    t.id,
		"temporaryAccessPass":   nil,
		"createdDateTime":       t.created.Format(timeFormat),
		"startDateTime":         t.start.Format(timeFormat),
		"lifetimeInMinutes":     t.lifetime,
		"isUsableOnce":          t.usableOnce,
		"isUsable":              usable,
		"methodUsabilityReason": reason,
	}
	if withPass {
		m["temporaryAccessPass"] = t.pass
	}
	return m
}

// createTAP serves POST /users/{id}/authentication/temporaryAccessPassMethods.
// A user has at most one Temporary Access Pass: creating one replaces the
// previous pass (https://learn.microsoft.com/graph/api/authentication-post-temporaryaccesspassmethods).
func (s *Sim) createTAP(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	body := map[string]any{}
	if len(strings.TrimSpace(string(c.body))) > 0 {
		var r *response
		if body, r = s.decodeObject(c); r != nil {
			return r
		}
	}
	pol := s.t.tapPolicy
	if pol.State != "enabled" {
		// Wording not published; the code follows the other TAP errors.
		return s.fail(c, http.StatusBadRequest, "badRequest", "Temporary Access Pass is disabled by the authentication methods policy.")
	}
	t := &tapMethod{id: newGUID(), pass: newTAPValue(pol.DefaultLength), created: c.now, start: c.now,
		lifetime: pol.DefaultLifetimeInMinutes, usableOnce: pol.IsUsableOnce}
	for k, v := range body {
		switch k {
		case "lifetimeInMinutes":
			// The tenant policy bounds every pass; Entra answers 400 badRequest
			// "Invalid LifetimeInMinutes specified. The valid range between 60 and 480."
			// for the default policy (quoted in microsoftgraph/microsoft-graph-docs PR #12187).
			n, ok := v.(float64)
			if !ok || n != float64(int(n)) || int(n) < pol.MinimumLifetimeInMinutes || int(n) > pol.MaximumLifetimeInMinutes {
				return s.fail(c, http.StatusBadRequest, "badRequest",
					fmt.Sprintf("Invalid LifetimeInMinutes specified. The valid range between %d and %d.", pol.MinimumLifetimeInMinutes, pol.MaximumLifetimeInMinutes))
			}
			t.lifetime = int(n)
		case "isUsableOnce":
			b, ok := v.(bool)
			if !ok {
				return s.fail(c, http.StatusBadRequest, "badRequest", "Invalid value specified for property 'isUsableOnce'.")
			}
			if pol.IsUsableOnce && !b {
				// "If the policy says one-time use, all passes are one-time use"
				// (https://learn.microsoft.com/entra/identity/authentication/howto-authentication-temporary-access-pass);
				// the error wording is not published.
				return s.fail(c, http.StatusBadRequest, "badRequest",
					"Invalid IsUsableOnce specified. The policy only allows one-time use Temporary Access Passes.")
			}
			t.usableOnce = b
		case "startDateTime":
			sv, ok := v.(string)
			tm, err := time.Parse(time.RFC3339Nano, sv)
			if !ok || err != nil {
				return s.fail(c, http.StatusBadRequest, "badRequest", "Invalid value specified for property 'startDateTime'.")
			}
			t.start = tm.UTC()
		case "@odata.type":
		default:
			return s.fail(c, http.StatusBadRequest, "badRequest",
				"Property '"+k+"' does not exist on type 'microsoft.graph.temporaryAccessPassAuthenticationMethod'.")
		}
	}
	u.tap = t
	s.t.touch('u', u.id)
	m := s.renderTAP(c, t, true)
	m["@odata.context"] = c.base + "/$metadata#users('" + u.id + "')/authentication/temporaryAccessPassMethods/$entity"
	return c.jsonResponse(http.StatusCreated, m)
}

// listTAPs serves GET /users/{id}/authentication/temporaryAccessPassMethods;
// the pass itself is only shown when it is created.
func (s *Sim) listTAPs(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	var out []map[string]any
	if u.tap != nil {
		out = append(out, s.renderTAP(c, u.tap, false))
	}
	return c.jsonResponse(http.StatusOK, collection(c.base+"/$metadata#users('"+u.id+"')/authentication/temporaryAccessPassMethods", out, len(out), false, ""))
}

// getTAP serves GET /users/{id}/authentication/temporaryAccessPassMethods/{id}.
func (s *Sim) getTAP(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	if u.tap == nil || !strings.EqualFold(u.tap.id, c.ids[1]) {
		return s.notFound(c, c.ids[1])
	}
	m := s.renderTAP(c, u.tap, false)
	m["@odata.context"] = c.base + "/$metadata#users('" + u.id + "')/authentication/temporaryAccessPassMethods/$entity"
	return c.jsonResponse(http.StatusOK, m)
}

// deleteTAP serves DELETE /users/{id}/authentication/temporaryAccessPassMethods/{id}.
func (s *Sim) deleteTAP(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.notFound(c, c.ids[0])
	}
	if u.tap == nil || !strings.EqualFold(u.tap.id, c.ids[1]) {
		return s.notFound(c, c.ids[1])
	}
	u.tap = nil
	s.t.touch('u', u.id)
	return c.noContent()
}

// recipients extracts the addresses of a message's recipient list.
func recipients(v any) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	var out []string
	for _, e := range list {
		m, _ := e.(map[string]any)
		ea, _ := m["emailAddress"].(map[string]any)
		addr, _ := ea["address"].(string)
		if !validMail(addr) {
			return nil, false
		}
		out = append(out, addr)
	}
	return out, true
}

// sendMail serves POST /users/{id}/sendMail (https://learn.microsoft.com/graph/api/user-sendmail):
// 202 Accepted; the message is kept for SentMail and GET /_sim/mail. The
// sender needs a mailbox, which the simulator takes to mean a mail address.
func (s *Sim) sendMail(c *call) *response {
	u := s.graphUser(c, c.ids[0])
	if u == nil {
		return s.fail(c, http.StatusNotFound, "ErrorInvalidUser", "The requested user '"+c.ids[0]+"' is invalid.")
	}
	from := str(u.props, "mail")
	if from == "" {
		return s.fail(c, http.StatusNotFound, "MailboxNotEnabledForRESTAPI",
			"The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
	}
	body, r := s.decodeObject(c)
	if r != nil {
		return r
	}
	// Action parameter names are matched case-insensitively, as Graph does: msgraph-sdk-go
	// sends "Message" and "SaveToSentItems".
	msg, ok := fold(body, "message").(map[string]any)
	if !ok {
		return s.fail(c, http.StatusBadRequest, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.")
	}
	to, ok1 := recipients(fold(msg, "toRecipients"))
	cc, ok2 := recipients(fold(msg, "ccRecipients"))
	bcc, ok3 := recipients(fold(msg, "bccRecipients"))
	if !ok1 || !ok2 || !ok3 || len(to)+len(cc)+len(bcc) == 0 {
		return s.fail(c, http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
	}
	m := Mail{FromUserID: u.id, From: from, To: to, Cc: cc, SentAt: c.now, Message: copyJSON(msg).(map[string]any)}
	m.Subject, _ = fold(msg, "subject").(string)
	if b, ok := fold(msg, "body").(map[string]any); ok {
		m.ContentType, _ = fold(b, "contentType").(string)
		m.Body, _ = fold(b, "content").(string)
	}
	s.t.mail = append(s.t.mail, m)
	return &response{status: http.StatusAccepted, header: c.baseHeader()}
}

// fold returns m's value for key, matching the key case-insensitively (an exact match wins).
func fold(m map[string]any, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// listDomains serves GET /domains with the verified domains.
func (s *Sim) listDomains(c *call) *response {
	names := make([]string, 0, len(s.t.domains))
	for _, d := range s.t.domains {
		names = append(names, d)
	}
	sort.Strings(names)
	out := make([]map[string]any, 0, len(names))
	for i, d := range names {
		out = append(out, map[string]any{
			"id": d, "isVerified": true, "isDefault": i == 0, "authenticationType": "Managed",
			"supportedServices": []any{"Email"},
		})
	}
	return c.jsonResponse(http.StatusOK, collection(c.contextURL("domains", nil), out, len(out), false, ""))
}
