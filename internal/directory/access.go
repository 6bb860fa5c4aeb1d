package directory

import (
	"context"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// RevokeSignInSessions invalidates user id's refresh tokens and session
// cookies (https://learn.microsoft.com/graph/api/user-revokesigninsessions).
// Revoking twice is harmless.
func (c *Client) RevokeSignInSessions(ctx context.Context, id string) error {
	o := op{"revoke sign-in sessions of " + id, permRevokeSessions}
	if _, err := c.graph.Users().ByUserId(id).RevokeSignInSessions().PostAsRevokeSignInSessionsPostResponse(ctx, nil); err != nil {
		return classify(o, err)
	}
	c.log.Info("sign-in sessions revoked", "id", id)
	return nil
}

// CreateTemporaryAccessPass issues a Temporary Access Pass for user id
// (https://learn.microsoft.com/graph/api/authentication-post-temporaryaccesspassmethods).
// A user holds at most one pass: when Graph refuses a second one, the
// existing pass (whose secret can never be read again, e.g. after a lost
// reply) is deleted and a new one issued. The returned value never prints
// its secret.
func (c *Client) CreateTemporaryAccessPass(ctx context.Context, id string, opts TemporaryAccessPassOptions) (TemporaryAccessPass, error) {
	o := op{"create Temporary Access Pass for " + id, permTemporaryPass}
	body := models.NewTemporaryAccessPassAuthenticationMethod()
	if !opts.Start.IsZero() {
		body.SetStartDateTime(ptr(opts.Start.UTC()))
	}
	if opts.Lifetime > 0 {
		body.SetLifetimeInMinutes(ptr(int32(opts.Lifetime / time.Minute)))
	}
	body.SetIsUsableOnce(ptr(opts.UsableOnce))

	methods := c.graph.Users().ByUserId(id).Authentication().TemporaryAccessPassMethods()
	created, err := methods.Post(ctx, body, nil)
	if err != nil {
		err = classify(o, err)
		if KindOf(err) != KindInvalidValue && KindOf(err) != KindConflict {
			return TemporaryAccessPass{}, err
		}
		existing, lerr := methods.Get(ctx, nil)
		if lerr != nil || len(existing.GetValue()) == 0 {
			return TemporaryAccessPass{}, err
		}
		for _, m := range existing.GetValue() {
			if derr := methods.ByTemporaryAccessPassAuthenticationMethodId(str(m.GetId())).Delete(ctx, nil); derr != nil {
				if cerr := classify(o, derr); KindOf(cerr) != KindNotFound {
					return TemporaryAccessPass{}, cerr
				}
			}
		}
		c.log.Info("replaced an existing Temporary Access Pass", "id", id)
		if created, err = methods.Post(ctx, body, nil); err != nil {
			return TemporaryAccessPass{}, classify(o, err)
		}
	}
	tap := TemporaryAccessPass{
		ID:   str(created.GetId()),
		Pass: str(created.GetTemporaryAccessPass()),
	}
	if t := created.GetStartDateTime(); t != nil {
		tap.Start = t.UTC()
	}
	if n := created.GetLifetimeInMinutes(); n != nil {
		tap.Lifetime = time.Duration(*n) * time.Minute
	}
	if b := created.GetIsUsableOnce(); b != nil {
		tap.UsableOnce = *b
	}
	if tap.Pass == "" {
		return TemporaryAccessPass{}, newError(o, KindUnexpected, "Graph created the pass but returned no secret", nil)
	}
	c.log.Info("Temporary Access Pass created", "id", id, "tap", tap)
	return tap, nil
}

// SendMail sends m as the mailbox m.From (or Config.MailSender)
// (https://learn.microsoft.com/graph/api/user-sendmail). Graph gives no
// message id, so a retried send may deliver twice.
func (c *Client) SendMail(ctx context.Context, m Mail) error {
	from := m.From
	if from == "" {
		from = c.mailSender
	}
	o := op{"send mail as " + from, permMailSend}
	if from == "" {
		return newError(o, KindInvalidValue, "no sender: set the mail sender mailbox in the configuration", nil)
	}
	if len(m.To) == 0 {
		return newError(o, KindInvalidValue, "the message has no recipient", nil)
	}
	msg := models.NewMessage()
	msg.SetSubject(ptr(m.Subject))
	body := models.NewItemBody()
	ct := models.TEXT_BODYTYPE
	if m.HTML {
		ct = models.HTML_BODYTYPE
	}
	body.SetContentType(&ct)
	body.SetContent(ptr(m.Body))
	msg.SetBody(body)
	to := make([]models.Recipientable, 0, len(m.To))
	for _, addr := range m.To {
		r := models.NewRecipient()
		ea := models.NewEmailAddress()
		ea.SetAddress(ptr(addr))
		r.SetEmailAddress(ea)
		to = append(to, r)
	}
	msg.SetToRecipients(to)
	req := users.NewItemSendMailPostRequestBody()
	req.SetMessage(msg)
	req.SetSaveToSentItems(ptr(true))
	if err := c.graph.Users().ByUserId(from).SendMail().Post(ctx, req, nil); err != nil {
		return classify(o, err)
	}
	c.log.Info("mail sent", "from", from, "recipients", len(m.To))
	return nil
}
