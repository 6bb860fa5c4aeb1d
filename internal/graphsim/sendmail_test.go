package graphsim

import "testing"

// msgraph-sdk-go v1.89.0 serialises the sendMail action parameters as "Message" and
// "SaveToSentItems" (users/item_send_mail_post_request_body.go); Graph matches action
// parameter names case-insensitively, so the simulator must accept both spellings.
// https://learn.microsoft.com/graph/api/user-sendmail
func TestSendMailParameterNamesAreCaseInsensitive(t *testing.T) {
	e := newEnv(t)
	if err := e.sim.Seed(Seed{
		Domains: []string{"contoso.example"},
		Users: []map[string]any{{
			"displayName": "Notifications", "userPrincipalName": "noreply@contoso.example",
			"mail": "noreply@contoso.example",
		}},
	}); err != nil {
		t.Fatal(err)
	}
	e.must(202, "POST", "/users/noreply@contoso.example/sendMail", map[string]any{"Message": map[string]any{
		"subject": "Access for your new colleague", "body": map[string]any{"contentType": "text", "content": "hello"},
		"toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": "manager@contoso.example"}}},
	}, "SaveToSentItems": false})
	mails := e.sim.SentMail()
	if len(mails) != 1 || mails[0].Subject != "Access for your new colleague" || mails[0].To[0] != "manager@contoso.example" || mails[0].Body != "hello" {
		t.Fatalf("SentMail = %+v", mails)
	}
	// An absent message is still refused.
	r := e.do("POST", "/users/noreply@contoso.example/sendMail", map[string]any{"SaveToSentItems": false})
	if r.status != 400 {
		t.Fatalf("no message: %d", r.status)
	}
}
